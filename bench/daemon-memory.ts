/**
 * The daemon's memory on a room: `mycelium daemon start --foreground` (BM25 only: offline, no model)
 * on a home whose index is built and saved. Once it answers a search (its index holds the room and
 * its watcher is set), its resident set is sampled from /proc for 5 s: the peak (VmHWM, start-up
 * included) and the RSS at the end; once on a first start (no watch state yet), once on a restart.
 * Linux only (skipped elsewhere).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadavg } from 'node:os';

const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function procKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

export async function daemonMemory(home: string, room: string, query: string, report: Record<string, number>): Promise<void> {
  if (!existsSync('/proc/self/status')) return console.log('daemon memory: skipped (needs /proc)');
  // The first start reads every file once to build its watch state; a restart loads that state.
  await daemonRun(home, room, query, report, 'first_start');
  await daemonRun(home, room, query, report, 'restart');
}

async function daemonRun(home: string, room: string, query: string, report: Record<string, number>, label: string): Promise<void> {
  const env = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'bench', MYCELIUM_OFFLINE: '1' };
  const daemon = spawn(process.execPath, [cli, 'daemon', 'start', '--foreground'], { env, stdio: 'ignore' });
  try {
    const deadline = Date.now() + 300_000;
    const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8' });
    while (!JSON.parse(run(['daemon', 'status', '--json']).stdout || '{}').running) {
      if (Date.now() > deadline || daemon.exitCode !== null) throw new Error('the daemon did not start');
      await sleep(500);
    }
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
    console.log(`daemon (${label.replace('_', ' ')}), BM25 only, ${room} indexed and watched: RSS ${settled} MiB after 5 s, ${peak} MiB peak (start-up included), load average ${loadavg()[0].toFixed(2)}`);
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
}
