import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, afterEach } from 'vitest';

export const repoRoot = resolve(import.meta.dirname, '..');
export const cliPath = join(repoRoot, 'bin', 'mycelium.js');
export const sharedDir = resolve(repoRoot, '..', 'shared');

const cleanups: string[] = [];
const leftovers: string[] = [];
const remove = (dir: string) => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
afterEach(() => {
  // A detached process a test started (an ingest flush, a trigger run) may still be writing in the
  // folder (ENOTEMPTY): that is no failure of the test; try that folder again after the file's tests.
  while (cleanups.length > 0) {
    const dir = cleanups.pop()!;
    try {
      remove(dir);
    } catch {
      leftovers.push(dir);
    }
  }
});
afterAll(() => {
  for (const dir of leftovers.splice(0)) {
    try {
      remove(dir);
    } catch {
      // still busy: the OS temp folder keeps it; nothing a test asserted depends on it
    }
  }
});

/** A fresh temp folder, removed after the test. */
export function tempDir(prefix = 'mycelium-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(dir);
  return dir;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  home: string;
  input?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/** Runs the real CLI as a whole process, with its own home and no inherited room or handle. */
export function cli(args: string[], options: CliOptions): CliResult {
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: options.cwd ?? options.home,
    input: options.input ?? '',
    encoding: 'utf8',
    env: cliEnv(options),
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The same, without blocking the test's event loop (for servers and concurrency). */
export function cliAsync(args: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: options.cwd ?? options.home, env: cliEnv(options) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(options.input ?? '');
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * What a spawned CLI may take from the test's own environment: what a process needs to run, and
 * nothing of mycelium's (no MYCELIUM_HOME, handle, room, API URL, model folder, token…), of git's or
 * of Node's (NODE_OPTIONS), so a developer's shell can never change what a test sees.
 */
const PASSED_THROUGH = ['PATH', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ'];

/**
 * The whole environment of a child a test starts: PATH, TMPDIR and the locale from this process,
 * HOME and MYCELIUM_HOME set to the test's home, then exactly the values the test gives (undefined
 * removes one). Settings such as MYCELIUM_OFFLINE or MYCELIUM_MODEL_DIR reach a child only this way.
 */
export function isolatedEnv(home: string, env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const isolated: NodeJS.ProcessEnv = { HOME: home, MYCELIUM_HOME: home };
  for (const name of PASSED_THROUGH) if (process.env[name] !== undefined) isolated[name] = process.env[name];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete isolated[name];
    else isolated[name] = value;
  }
  return isolated;
}

function cliEnv(options: CliOptions): NodeJS.ProcessEnv {
  return isolatedEnv(options.home, options.env);
}

/** A home with one room, 'team', made with the real CLI. */
export function homeWithRoom(room = 'team'): string {
  const home = tempDir();
  const created = cli(['room', 'create', room], { home });
  if (created.code !== 0) throw new Error(`room create failed: ${created.stderr}`);
  return home;
}

/** Every file under a folder with its content: a snapshot to prove nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return files;
}

export interface RunningServer {
  url: string;
  /** The line serve printed when it started. */
  banner: string;
  stop: () => Promise<void>;
}

/** Starts the real `mycelium serve` on 127.0.0.1 on a free port; stopped after the test. */
export async function startServe(home: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<RunningServer> {
  const child = spawn(process.execPath, [cliPath, 'serve', '--port', '0', ...args], { cwd: home, env: cliEnv({ home, env }) });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let banner = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout.on('data', (d) => {
      banner += d;
      const match = / on (http:\/\/\S+)/.exec(banner);
      if (match) resolveUrl(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  // One promise for every caller: a test that stops its server, then the afterEach below. A server
  // that already ended by a signal has exitCode null (signalCode set) and emits no second 'exit', so
  // the exit is caught once, here, when the server starts.
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  servers.push(stop);
  return { url, banner: banner.trim(), stop };
}

const servers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!();
});
