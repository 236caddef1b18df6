/**
 * The daemon's memory on a room: `mycelium daemon start --foreground` (BM25 only: offline, no model)
 * on a home whose index is built and saved. Once it prints its `ready` line (`--json`: its catch-up
 * is done, its index holds the room and its watcher is set) and has answered a search, its resident
 * set is sampled from /proc for 5 s: the peak (VmHWM, start-up included) and the RSS at the end;
 * once on a first start (no watch state yet), once on a restart. The time to `ready` is printed too.
 * Linux only (skipped elsewhere).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadavg } from 'node:os';

const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

/** Resolves when the daemon prints its `{"event":"ready"}` line; rejects if it exits first or takes too long. */
function readyLine(daemon: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let buffered = '';
    const timer = setTimeout(() => fail(new Error(`the daemon was not ready within ${timeoutMs / 1000} s`)), timeoutMs);
    const onExit = (code: number | null) => fail(new Error(`the daemon exited (${code}) before it was ready`));
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (const line of buffered.split('\n').slice(0, -1)) {
        if (line.includes('"event":"ready"')) return done();
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    };
    const cleanup = () => {
      clearTimeout(timer);
      daemon.stdout!.off('data', onData);
      daemon.off('exit', onExit);
      daemon.stdout!.resume(); // keep draining: a full pipe must never block the daemon
    };
    const done = () => (cleanup(), resolvePromise());
    const fail = (error: Error) => (cleanup(), reject(error));
    daemon.stdout!.on('data', onData);
    daemon.once('exit', onExit);
  });
}

export async function daemonMemory(home: string, room: string, query: string, report: Record<string, number>): Promise<void> {
  if (!existsSync('/proc/self/status')) return console.log('daemon memory: skipped (needs /proc)');
  // The first start reads every file once to build its watch state; a restart loads that state.
  await daemonRun(home, room, query, report, 'first_start');
  await daemonRun(home, room, query, report, 'restart');
}

async function daemonRun(home: string, room: string, query: string, report: Record<string, number>, label: string): Promise<void> {
  const env = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'bench', MYCELIUM_OFFLINE: '1' };
  const started = performance.now();
  const daemon = spawn(process.execPath, [cli, 'daemon', 'start', '--foreground', '--json'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await readyLine(daemon, 300_000);
    const readyMs = (report[`daemon_${label}_ready_ms`] = Math.round(performance.now() - started));
    const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });
    // The CLI hands the search to the running daemon, which answers once its index holds the room.
    const answered = run(['memory', 'search', query, '--room', room, '--json']);
    if (answered.status !== 0) throw new Error(`search through the daemon failed: ${answered.stderr}`);
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      samples.push(procKiB(daemon.pid!, 'VmRSS'));
      await sleep(250);
    }
    const settled = (report[`daemon_${label}_rss_mb`] = Math.round(samples.at(-1)! / 1024));
    const peak = (report[`daemon_${label}_peak_rss_mb`] = Math.round(procKiB(daemon.pid!, 'VmHWM') / 1024));
    console.log(`daemon (${label.replace('_', ' ')}), BM25 only, ${room} indexed and watched: ready in ${(readyMs / 1000).toFixed(1)} s, RSS ${settled} MiB after 5 s, ${peak} MiB peak (start-up included), load average ${loadavg()[0].toFixed(2)}`);
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
}
