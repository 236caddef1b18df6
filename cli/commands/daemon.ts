import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { resolveHome } from '../../src/config.js';
import { daemonDir, daemonLogPath, processAlive, runningDaemon } from '../../src/daemon/files.js';
import { ipcRequest } from '../../src/daemon/ipc-client.js';
import { DaemonError, DaemonRunningError } from '../../src/errors.js';
import { printJson, printLine, type CommonOptions } from '../output.js';

const START_TIMEOUT_MS = 20_000;
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
  const daemon = await Daemon.start(home, {
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

export async function daemonStart(options: CommonOptions & { foreground?: boolean }): Promise<void> {
  const home = resolveHome();
  if (options.foreground) return runForeground(home, options.json);
  const running = runningDaemon(home);
  if (running) {
    throw new DaemonRunningError(`a daemon is already running for ${home} (pid ${running.pid}); stop it with \`mycelium daemon stop\``);
  }
  mkdirSync(daemonDir(home), { recursive: true, mode: 0o700 });
  const logFd = openSync(daemonLogPath(home), 'a', 0o600);
  const child = spawn(process.execPath, [process.argv[1], 'daemon', 'start', '--foreground'], {
    detached: true,
    cwd: home, // never keep the caller's folder busy
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, MYCELIUM_HOME: home },
  });
  closeSync(logFd);
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  const up = await waitFor(() => exited !== null || runningDaemon(home)?.pid === child.pid, START_TIMEOUT_MS);
  child.unref();
  if (exited !== null || !up) {
    const tail = readFileSync(daemonLogPath(home), 'utf8').trim().split('\n').pop() ?? '';
    if (exited === 3) throw new DaemonRunningError(tail.replace(/^mycelium: /, ''));
    throw new DaemonError(`the daemon did not start (${tail || 'no output'}); see ${daemonLogPath(home)}`);
  }
  if (options.json) return printJson({ running: true, pid: child.pid, home, log: daemonLogPath(home) });
  printLine(`daemon started (pid ${child.pid}); log: ${daemonLogPath(home)}`);
}

export async function daemonStop(options: CommonOptions): Promise<void> {
  const home = resolveHome();
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

/** Exit 0 when a daemon runs, 1 when none does (like `systemctl is-active`). */
export async function daemonStatus(options: CommonOptions): Promise<void> {
  const home = resolveHome();
  const info = runningDaemon(home);
  let answering = false;
  if (info) answering = await ipcRequest(info, { op: 'ping' }, 3_000).then((r) => r.ok, () => false);
  if (!answering) process.exitCode = 1;
  if (options.json) return printJson({ running: answering, pid: answering ? info!.pid : null, started_at: answering ? info!.started_at : null, home });
  printLine(answering ? `daemon running (pid ${info!.pid}, since ${info!.started_at})` : 'daemon not running');
}
