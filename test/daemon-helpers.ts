import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { afterEach } from 'vitest';
import { cliPath, isolatedEnv } from './helpers.js';

/** Every child a test started; killed after each test so no daemon outlives its test. */
const children = new Set<ChildProcess>();
afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  children.clear();
});

/** Polls `check` every 20 ms until it returns a truthy value; fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A running CLI process with its output collected as it arrives. */
export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout parsed as JSON lines. */
  lines(): any[];
  exited: Promise<number | null>;
}

export function run(args: string[], home: string, options: SpawnOptions & { env?: NodeJS.ProcessEnv } = {}): Running {
  // No model and no attempt to reach a model hub unless a test asks for one.
  const env = isolatedEnv(home, { MYCELIUM_OFFLINE: '1', ...options.env });
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: home, ...options, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    lines: () => out.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l)),
    exited,
  };
}

/** Starts `mycelium daemon start --foreground` as a child and waits until it is ready. */
export async function startDaemon(home: string, options: SpawnOptions & { env?: NodeJS.ProcessEnv } = {}): Promise<Running> {
  const daemon = run(['daemon', 'start', '--foreground', '--json'], home, options);
  await waitFor(
    () => daemon.lines().some((l) => l.event === 'ready') || daemon.child.exitCode !== null,
    20_000,
    'the daemon to be ready',
  );
  if (daemon.child.exitCode !== null) throw new Error(`daemon exited ${daemon.child.exitCode}: ${daemon.stderr()}`);
  return daemon;
}

/** `memory subscribe` as a child, returned once it says it is subscribed. */
export async function startSubscriber(home: string, args: string[] = []): Promise<Running> {
  const subscriber = run(['memory', 'subscribe', ...args], home);
  await waitFor(
    () => subscriber.stderr().includes('subscribed to') || subscriber.child.exitCode !== null,
    20_000,
    'the subscriber to be ready',
  );
  if (subscriber.child.exitCode !== null) throw new Error(`subscribe exited ${subscriber.child.exitCode}: ${subscriber.stderr()}`);
  return subscriber;
}

/** Sends a signal and waits for the exit code. */
export async function stop(running: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  running.child.kill(signal);
  return running.exited;
}
