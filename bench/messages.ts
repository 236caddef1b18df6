/**
 * Messages (issue 12), next to baselines measured in the same run:
 *  - `room send` as a whole process, next to `node -e 0` (target: within node + 80 ms);
 *  - send → a waiting `await` in another process prints it, with the daemon and without (targets:
 *    p95 ≤ 100 ms and ≤ 500 ms), next to a bare fs.watch in another process noticing a write;
 *  - a room of 100,000 messages: rebuilding the messages index from the files (target ≤ 3 s), and
 *    `inbox` and `room messages --limit 50` as whole processes (target: within node + 150 ms), and
 *    `memory ls` in that room (no target: it leaves the message store out, so it costs what an empty room's does).
 * usage: npm run bench:messages [-- --runs N --messages N]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serializeMemoryFile } from '../src/codec.js';
import { rebuildMessageIndex } from '../src/coord/messages/index-cache.js';
import { sendMessage, textSha } from '../src/coord/messages/store.js';
import { Room } from '../src/room.js';

const arg = (name: string, fallback: number) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const runs = arg('--runs', 20);
const total = arg('--messages', 100_000);
const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');
const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
const median = (values: number[]) => quantile(values, 0.5);
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const p50p95 = (values: number[]) => `p50 ${fmt(quantile(values, 0.5))}  p95 ${fmt(quantile(values, 0.95))}`;
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

// CPU time of a child (user + sys) through GNU time when it is there: the machine may be loaded, and
// CPU time is what load distorts least.
const gnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%U', 'true']).status === 0;
let lastCpu = NaN;

function timeProcess(args: string[], env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const result = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', 'cpu-seconds %U %S', process.execPath, ...args], { env, encoding: 'utf8' })
    : spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  const cpu = /cpu-seconds ([\d.]+) ([\d.]+)/.exec(result.stderr ?? '');
  lastCpu = cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN;
  return ms;
}

function makeHome(): { home: string; env: NodeJS.ProcessEnv } {
  const home = mkdtempSync(join(tmpdir(), 'mycelium-bench-messages-'));
  const env = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_ROOM: 'bench', MYCELIUM_AGENT_HANDLE: 'bench', MYCELIUM_OFFLINE: '1' };
  timeProcess([cli, 'room', 'create', 'bench'], env);
  return { home, env };
}

/** Starts a child and resolves once `readyText` is on its stderr; `onLine` sees its stdout. */
function startChild(args: string[], env: NodeJS.ProcessEnv, readyText: string, onOut: () => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.once('data', onOut);
  return new Promise((ready, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => (err += d).includes(readyText) && ready(child));
    child.once('exit', (code) => code !== 0 && code !== null && reject(new Error(`${args.join(' ')} exited ${code}: ${err}`)));
  });
}

/** Time from just before a write (by `write`) to the waiting child printing it, `runs` times. */
async function latency(args: string[], env: NodeJS.ProcessEnv, readyText: string, write: (i: number) => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    let start = 0;
    let seen!: () => void;
    const printed = new Promise<void>((resolve) => (seen = resolve));
    const child = await startChild(args, env, readyText, () => {
      samples.push(performance.now() - start);
      seen();
    });
    await new Promise((r) => setTimeout(r, 50)); // let the watcher settle past its ready line
    start = performance.now();
    await write(i);
    await printed;
    child.kill('SIGKILL');
  }
  return samples;
}

async function awaitLatency(): Promise<void> {
  const { home, env } = makeHome();
  const room = await Room.open(home, 'bench');
  const watchDir = join(home, 'rooms', 'bench', 'messages', 'fswatch');
  mkdirSync(watchDir, { recursive: true });
  const bare = `require('fs').watch(${JSON.stringify(watchDir)},()=>{console.log('x')});console.error('ready')`;
  const fsWatch = await latency(['-e', bare], env, 'ready', (i) => writeFile(join(watchDir, `f${i}`), 'x'));
  const send = async () => void (await sendMessage(room, { from: 'ana', text: '@bob ping' }));
  const awaitArgs = [cli, 'await', '--handle', 'bob', '--timeout', '30'];
  const inProcess = await latency(awaitArgs, env, 'waiting for messages', send);
  const daemon = spawn(process.execPath, [cli, 'daemon', 'start', '--foreground', '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((ready) => {
    let out = '';
    daemon.stdout!.on('data', (d) => (out += d).includes('"ready"') && ready());
  });
  const withDaemon = await latency(awaitArgs, env, 'from the daemon', send);
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  console.log(`send → waiting await, ${runs} runs each:`);
  console.log(`  bare fs.watch (another process)   ${p50p95(fsWatch)}`);
  console.log(`  await, daemon running             ${p50p95(withDaemon)}   target p95 ≤ 100 ms: ${verdict(quantile(withDaemon, 0.95) <= 100)}`);
  console.log(`  await, no daemon (in-process)     ${p50p95(inProcess)}   target p95 ≤ 500 ms: ${verdict(quantile(inProcess, 0.95) <= 500)}`);
  rmSync(home, { recursive: true, force: true });
}

/** Writes `total` message files the way sendMessage lays them out, spread over 50 days, 20 agents. */
async function bigRoom(room: Room): Promise<void> {
  const agents = Array.from({ length: 20 }, (_, i) => `agent-${i}`);
  const days = 50;
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const jobs: Promise<void>[] = [];
  const dirs = new Set<string>();
  for (let i = 0; i < total; i++) {
    const at = new Date(start + Math.floor((i * days * 86_400_000) / total));
    const from = agents[i % agents.length];
    const to = agents[(i * 7 + 3) % agents.length];
    const iso = at.toISOString();
    const name = `${iso.slice(11, 23).replace(/:/g, '')}Z-${from}-${(i % 1_679_616).toString(36).padStart(4, '0')}`;
    const id = `${iso.slice(0, 10)}T${name}`;
    const text = to === from ? `broadcast ${i}` : `@${to} message ${i} about the build`;
    const dir = join(room.dir, 'messages', iso.slice(0, 10));
    if (!dirs.has(dir)) mkdirSync(dir, { recursive: true }), dirs.add(dir);
    const meta = { key: `messages/${iso.slice(0, 10)}/${name}`, created_by: from, created_at: iso, updated_by: from, updated_at: iso, version: 1, format: 'text', id, from, mentions: to === from ? [] : [to], to: [], kind: 'say', text_sha: textSha(text) };
    jobs.push(writeFile(join(dir, `${name}.md`), serializeMemoryFile(meta, text)));
    if (jobs.length >= 256) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
  const old = new Date(Date.now() - 3_600_000); // history: day folders that settled long ago
  for (const dir of dirs) utimesSync(dir, old, old);
}

async function bigRoomTimes(): Promise<void> {
  const { home, env } = makeHome();
  const room = await Room.open(home, 'bench');
  const made = performance.now();
  await bigRoom(room);
  console.log(`a room of ${total} messages written in ${fmt(performance.now() - made)} (50 day folders, 20 agents)`);
  const rebuilds: number[] = [];
  const rebuildCpu: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const count = await rebuildMessageIndex(room);
    rebuilds.push(performance.now() - t);
    const used = process.cpuUsage(c);
    rebuildCpu.push((used.user + used.system) / 1000);
    if (count !== total) throw new Error(`index holds ${count} messages, expected ${total}`);
  }
  const names = ['node', 'get', 'inbox', 'messages', 'send', 'ls'] as const;
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<(typeof names)[number], number[]>;
  const cpu = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<(typeof names)[number], number[]>;
  const run = (name: (typeof names)[number], args: string[]) => {
    samples[name].push(timeProcess(args, env));
    cpu[name].push(lastCpu);
  };
  timeProcess([cli, 'memory', 'set', 'bench/ref', 'a memory'], env);
  for (let i = 0; i < runs; i++) {
    run('node', ['-e', '0']);
    run('get', [cli, 'memory', 'get', 'bench/ref']);
    run('inbox', [cli, 'inbox', '--peek', '--handle', 'agent-3', '--limit', '50']);
    run('messages', [cli, 'room', 'messages', '--limit', '50']);
    run('send', [cli, 'room', 'send', '--handle', 'agent-1', `@agent-2 bench ${i}`]);
    run('ls', [cli, 'memory', 'ls']);
  }
  const base = median(samples.node);
  const over = (name: (typeof names)[number]) => median(samples[name]) - base;
  const floor = over('get');
  const cpuText = (name: (typeof names)[number]) =>
    !gnuTime ? '' : name === 'node' ? `   cpu ${fmt(median(cpu.node))}` : `   cpu ${fmt(median(cpu[name]))} (+${fmt(median(cpu[name]) - median(cpu.node))}${name === 'get' ? '' : `, +${fmt(median(cpu[name]) - median(cpu.get))} over get`})`;
  const line = (label: string, name: (typeof names)[number], target?: number) => {
    const above = name === 'node' ? '' : `  (+${fmt(over(name))}${name === 'get' ? ', the CLI floor' : `; floor +${fmt(floor)}, above it +${fmt(over(name) - floor)}`})`;
    const goal = target === undefined ? '' : `   target +${target} ms: ${verdict(over(name) <= target)}`;
    console.log(`  ${label.padEnd(34)} median ${fmt(median(samples[name]))}${above}${goal}${cpuText(name)}`);
  };
  console.log(`rebuild the messages index from ${total} files   median ${fmt(median(rebuilds))} (cpu ${fmt(median(rebuildCpu))})   target ≤ 3 s: ${verdict(median(rebuilds) <= 3000)}`);
  console.log(`whole processes, ${runs} runs each, interleaved (wall clock; cpu = user+sys${gnuTime ? '' : ', not measured: no /usr/bin/time'}):`);
  line('node -e 0', 'node');
  line('memory get (the CLI floor)', 'get');
  line('inbox --peek --limit 50', 'inbox', 150);
  line('room messages --limit 50', 'messages', 150);
  line('room send (in the same big room)', 'send', 80);
  line('memory ls (messages/ left out)', 'ls');
  rmSync(home, { recursive: true, force: true });
}

console.log(`${process.version}, ${process.platform}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
await awaitLatency();
await bigRoomTimes();
console.log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
