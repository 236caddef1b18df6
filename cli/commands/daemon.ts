import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { resolveHome } from '../../src/config.js';
import { daemonDir, daemonLogPath } from '../../src/home-paths.js';
import { runningDaemon } from '../../src/ipc/daemon-info.js';
import { processAlive } from '../../src/process-alive.js';
import { ipcRequest } from '../../src/ipc/socket.js';
import { describeStartProgress, readStartProgress } from '../../src/daemon/start-progress.js';
import { wholeNumber } from '../context.js';
import { DaemonError, DaemonRunningError } from '../../src/errors.js';
import { notice, printJson, printLine, type CommonOptions } from '../output.js';
import { readSettings } from '../../src/settings.js';

/** How long `daemon start` waits for the daemon to be ready before it says "starting" (--wait). */
const START_WAIT_MS = 20_000;
/** How long a daemon process may take to load and take the home's lock (a slow disk, a cold cache). */
const LOCK_WAIT_MS = 60_000;
/** At most one progress line this often while waiting. */
const PROGRESS_EVERY_MS = 1_000;
const STOP_TIMEOUT_MS = 15_000;

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return check();
}

/** Runs the daemon in this process until SIGTERM/SIGINT or `daemon stop`. */
async function runForeground(home: string, json: boolean | undefined): Promise<void> {
  const { Daemon } = await import('../../src/daemon/daemon.js');
  const host = { settings: readSettings(process.env), log: (line: string) => void process.stderr.write(`mycelium daemon: ${line}\n`) };
  const daemon = await Daemon.start(home, host, {
    onReady: (info) => {
      const line = { event: 'ready', pid: info.pid, port: info.port, home };
      if (json) process.stdout.write(JSON.stringify(line) + '\n');
      else printLine(`mycelium daemon ${info.pid} watching ${home} (IPC on 127.0.0.1:${info.port})`);
    },
  });
  const onSignal = () => void daemon.stop();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await daemon.stopped;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
}

export async function daemonStart(options: CommonOptions & { foreground?: boolean; wait?: string }): Promise<void> {
  const home = resolveHome(process.env);
  if (options.foreground) return runForeground(home, options.json);
  const waitMs = (wholeNumber(options.wait, '--wait') ?? START_WAIT_MS / 1000) * 1000;
  const running = runningDaemon(home);
  if (running) {
    throw new DaemonRunningError(`a daemon is already running for ${home} (pid ${running.pid}); stop it with \`mycelium daemon stop\``);
  }
  mkdirSync(daemonDir(home), { recursive: true, mode: 0o700 });
  const logFd = openSync(daemonLogPath(home), 'a', 0o600);
  const logStart = fstatSync(logFd).size; // only this start's lines are quoted if it fails
  const child = spawn(process.execPath, [process.argv[1], 'daemon', 'start', '--foreground'], {
    detached: true,
    cwd: home, // never keep the caller's folder busy
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, MYCELIUM_HOME: home },
  });
  closeSync(logFd);
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  const ready = () => runningDaemon(home)?.pid === child.pid;
  const progress = () => {
    const now = readStartProgress(home);
    return now?.pid === child.pid ? now : null;
  };
  // First the daemon must take the home's lock (then it says what it does); then up to --wait for it to be ready.
  const begun = await waitFor(() => exited !== null || ready() || progress() !== null, LOCK_WAIT_MS);
  let said = '';
  let saidAt = 0;
  const up = begun && (await waitFor(() => {
    const now = progress();
    const line = now ? describeStartProgress(now) : '';
    if (line && line !== said && Date.now() - saidAt >= PROGRESS_EVERY_MS) {
      notice(`mycelium: daemon starting (pid ${child.pid}): ${line}`);
      said = line;
      saidAt = Date.now();
    }
    return exited !== null || ready();
  }, waitMs));
  child.unref();
  if (exited !== null || !begun) {
    const tail = (readLogSince(home, logStart).trim().split('\n').pop() ?? '').replace(/^mycelium: /, '');
    if (exited === 3) throw new DaemonRunningError(tail);
    throw new DaemonError(`the daemon did not start (${tail || 'no output'}); see ${daemonLogPath(home)}`);
  }
  const log = daemonLogPath(home);
  if (!up) {
    // Started means started: a big room takes a while to index; the daemon answers once it is done.
    const now = progress();
    if (options.json) return printJson({ running: true, ready: false, pid: child.pid, home, log, progress: now });
    return printLine(`daemon starting (pid ${child.pid})${now ? `: ${describeStartProgress(now)}` : ''}; it answers once caught up (\`mycelium daemon status\`); log: ${log}`);
  }
  if (options.json) return printJson({ running: true, ready: true, pid: child.pid, home, log });
  printLine(`daemon started (pid ${child.pid}); log: ${log}`);
}

function readLogSince(home: string, offset: number): string {
  try {
    return readFileSync(daemonLogPath(home)).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

export async function daemonStop(options: CommonOptions): Promise<void> {
  const home = resolveHome(process.env);
  const info = runningDaemon(home);
  if (!info) {
    if (options.json) return printJson({ running: false, stopped: false });
    return printLine('no daemon is running');
  }
  try {
    await ipcRequest(info, { op: 'stop' }, 5_000);
  } catch {
    process.kill(info.pid, 'SIGTERM'); // not answering: ask the process itself
  }
  if (!(await waitFor(() => !processAlive(info.pid), STOP_TIMEOUT_MS))) {
    throw new DaemonError(`daemon ${info.pid} did not stop within ${STOP_TIMEOUT_MS / 1000} s; kill it with \`kill ${info.pid}\``);
  }
  if (options.json) return printJson({ running: false, stopped: true, pid: info.pid });
  printLine(`daemon ${info.pid} stopped`);
}

/** Exit 0 when a daemon runs (also while it is still catching up), 1 when none does (like `systemctl is-active`). */
export async function daemonStatus(options: CommonOptions): Promise<void> {
  const home = resolveHome(process.env);
  const info = runningDaemon(home);
  let answering = false;
  if (info) answering = await ipcRequest(info, { op: 'ping' }, 3_000).then((r) => r.ok, () => false);
  const starting = answering ? null : readStartProgress(home);
  if (!answering && !starting) process.exitCode = 1;
  if (options.json) {
    if (starting) return printJson({ running: true, ready: false, pid: starting.pid, started_at: starting.started_at, home, progress: starting });
    return printJson({ running: answering, ready: answering, pid: answering ? info!.pid : null, started_at: answering ? info!.started_at : null, home });
  }
  if (starting) return printLine(`daemon starting (pid ${starting.pid}, since ${starting.started_at}): ${describeStartProgress(starting)}`);
  printLine(answering ? `daemon running (pid ${info!.pid}, since ${info!.started_at})` : 'daemon not running');
}
