/**
 * Freshness of the watcher daemon, with the daemon running (and the test model loaded when
 * ../shared has it): the time from a plain fs write (no CLI) until `memory search` — the daemon's
 * IPC search, the path the CLI takes — returns the file, for 200 single edits, editor-style atomic
 * saves, and a burst of 1,000 files; catch-up after 1,000 changes made while the daemon was stopped;
 * and warm `memory search` as a whole CLI process. Next to them, in the same run: a bare fs.watch
 * noticing the same writes (the floor) and `node -e 0` (the process floor).
 * usage: npm run bench:watch
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { askDaemon } from '../src/daemon/ipc-client.js';
import type { ChangeEvent } from '../src/events/change-event.js';
import { subscribe } from '../src/watch/subscribe.js';

const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'bin', 'mycelium.js');
const modelDir = resolve(root, '..', 'shared', 'models', 'local', 'tiny-random-bert');
const home = await mkdtemp(join(tmpdir(), 'mycelium-bench-watch-'));
const dir = join(home, 'rooms', 'bench');
const model = existsSync(join(modelDir, 'config.json')) ? { MYCELIUM_MODEL_DIR: modelDir } : { MYCELIUM_OFFLINE: '1' };
const env = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_ROOM: 'bench', MYCELIUM_AGENT_HANDLE: 'bench', ...model };

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const p50p95 = (values: number[]) => `p50 ${fmt(quantile(values, 0.5))}  p95 ${fmt(quantile(values, 0.95))}`;
const now = () => performance.now();

async function startDaemon(): Promise<{ child: ChildProcess; readyMs: number }> {
  const start = now();
  const child = spawn(process.execPath, [cli, 'daemon', 'start', '--foreground', '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((ready, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => (out += d).includes('"ready"') && ready());
    child.once('exit', (code) => reject(new Error(`daemon exited ${code}`)));
  });
  return { child, readyMs: now() - start };
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Keys the daemon's search returns for a word (BM25, as the freshness target says). */
async function searchKeys(word: string, limit = 10): Promise<string[]> {
  const reply = await askDaemon(home, { op: 'search', room: 'bench', query: word, options: { mode: 'bm25', limit, noSnippets: true } });
  return ((reply?.response as { results: { key: string }[] }) ?? { results: [] }).results.map((r) => r.key);
}

/** Events from the daemon, and a way to wait for one. */
function listen() {
  const controller = new AbortController();
  const waiters: { match: (e: ChangeEvent) => boolean; resolve: () => void }[] = [];
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  void (async () => {
    for await (const event of subscribe(home, { room: 'bench', signal: controller.signal, onNotice: (n) => n.kind === 'ready' && ready() })) {
      for (const waiter of [...waiters]) if (waiter.match(event)) waiters.splice(waiters.indexOf(waiter), 1) && waiter.resolve();
    }
  })();
  return {
    isReady,
    next: (match: (e: ChangeEvent) => boolean) => new Promise<void>((r) => waiters.push({ match, resolve: r })),
    close: () => controller.abort(),
  };
}

/** Runs `write`, then waits until `key` is searchable by `word` (polling the daemon's search), or its event arrives. */
async function timeUntilSearchable(events: ReturnType<typeof listen>, key: string, word: string, write: () => Promise<void>): Promise<number> {
  const delivered = events.next((e) => e.key === key && e.type !== 'deleted');
  const start = now();
  await write();
  while (!(await searchKeys(word)).includes(key)) await new Promise((r) => setTimeout(r, 2));
  const ms = now() - start;
  await delivered; // keep the next sample clean
  return ms;
}

/** The floor: how long a bare fs.watch on the folder takes to notice a write. */
async function fsWatchFloor(runs: number): Promise<number[]> {
  const floorDir = join(home, 'floor');
  await mkdir(floorDir, { recursive: true });
  const samples: number[] = [];
  let notify: (() => void) | null = null;
  const watcher = watch(floorDir, () => notify?.());
  for (let i = 0; i < runs; i++) {
    const noticed = new Promise<void>((r) => (notify = r));
    const start = now();
    await writeFile(join(floorDir, `f${i % 20}.md`), `floor ${i}\n`);
    await noticed;
    samples.push(now() - start);
  }
  watcher.close();
  return samples;
}

function processMs(args: string[]): number {
  const start = now();
  const result = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return now() - start;
}

try {
  await mkdir(join(dir, 'seed'), { recursive: true });
  for (let i = 0; i < 1000; i++) await writeFile(join(dir, 'seed', `s${i}.md`), `seed memory ${i} about topic${i % 37}\n`);
  let daemon = await startDaemon();
  const status = (await askDaemon(home, { op: 'status' }))!.status as { model: { name: string | null; reason: string | null } };
  const events = listen();
  await events.isReady;
  await mkdir(join(dir, 'edit'), { recursive: true });

  const floor = await fsWatchFloor(200);
  const single: number[] = [];
  for (let i = 0; i < 200; i++) {
    const key = `edit/k${i % 20}`;
    single.push(await timeUntilSearchable(events, key, `single${i}`, () => writeFile(join(dir, `${key}.md`), `edit number ${i} single${i}\n`)));
  }
  // A subscriber's view, without searches draining the queue early: includes the 20 ms debounce.
  const delivered: number[] = [];
  for (let i = 0; i < 100; i++) {
    const key = `edit/d${i % 20}`;
    const arrived = events.next((e) => e.key === key);
    const start = now();
    await writeFile(join(dir, `${key}.md`), `delivered ${i}\n`);
    await arrived;
    delivered.push(now() - start);
  }
  const atomic: number[] = [];
  for (let i = 0; i < 30; i++) {
    const temp = join(dir, 'edit', `.atomic.md.${i}.swp`);
    atomic.push(
      await timeUntilSearchable(events, 'edit/atomic', `atomic${i}`, async () => {
        await writeFile(temp, `atomic save atomic${i}\n`);
        await rename(temp, join(dir, 'edit', 'atomic.md'));
      }),
    );
  }

  const burstLeft = new Set(Array.from({ length: 1000 }, (_, i) => `burst/b${i}`));
  const burstDone = events.next((e) => burstLeft.delete(e.key) && burstLeft.size === 0);
  const burstStart = now();
  await mkdir(join(dir, 'burst'), { recursive: true });
  for (let i = 0; i < 1000; i++) await writeFile(join(dir, 'burst', `b${i}.md`), `burst file ${i} burstword\n`);
  const burstWritten = now() - burstStart;
  await burstDone; // the index is refreshed before an event is delivered
  const burstMs = now() - burstStart;
  const burstFound = (await searchKeys('burstword', 5000)).length;
  events.close();

  const node: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 30; i++) {
    node.push(processMs(['-e', '0']));
    warm.push(processMs([cli, 'memory', 'search', `topic${i % 37}`]));
  }

  await stopDaemon(daemon.child);
  const cold: number[] = [];
  for (let i = 0; i < 5; i++) cold.push(processMs([cli, 'memory', 'search', `topic${i}`]));
  const offlineStart = now();
  await mkdir(join(dir, 'offline'));
  for (let i = 0; i < 500; i++) await writeFile(join(dir, 'offline', `n${i}.md`), `offline new ${i} offlineword\n`);
  for (let i = 0; i < 300; i++) await writeFile(join(dir, 'seed', `s${i}.md`), `seed changed offline ${i}\n`);
  for (let i = 300; i < 500; i++) await unlink(join(dir, 'seed', `s${i}.md`));
  const offlineWriteMs = now() - offlineStart;
  daemon = await startDaemon();
  const offlineFound = (await searchKeys('offlineword', 5000)).length;
  await stopDaemon(daemon.child);

  const what = 'returned by the daemon\'s BM25 search';
  console.log(`watch freshness (${process.version}, ${process.platform}); room of 1,000 seed memories; model: ${status.model.name ?? `none (${status.model.reason})`}`);
  console.log(`fs.watch floor (bare notify, 200)              ${p50p95(floor)}`);
  console.log(`single write -> ${what} (200)  ${p50p95(single)}  target p95 < 250 ms: ${quantile(single, 0.95) < 250 ? 'met' : 'MISSED'}`);
  console.log(`atomic save (temp + rename) -> same (30)       ${p50p95(atomic)}`);
  console.log(`single write -> event at a subscriber (100)   ${p50p95(delivered)} (indexed, logged, fsynced, sent; includes the 20 ms debounce)`);
  const found = (n: number, of: number) => `; search finds ${n} of ${of}`;
  console.log(`burst of 1,000 files -> all indexed            ${fmt(burstMs)} (writing them took ${fmt(burstWritten)}${found(burstFound, 1000)})  target < 5 s: ${burstMs < 5000 ? 'met' : 'MISSED'}`);
  console.log(`catch-up after 1,000 offline changes           ${fmt(daemon.readyMs)} from daemon start to reconciled and ready (making the changes took ${fmt(offlineWriteMs)}${found(offlineFound, 500)})`);
  console.log(`node -e 0 (30)                                 p50 ${fmt(quantile(node, 0.5))}`);
  console.log(`warm \`memory search\` CLI via daemon (30)       ${p50p95(warm)}  target p50 < 150 ms: ${quantile(warm, 0.5) < 150 ? 'met' : 'MISSED'}`);
  console.log(`\`memory search\` CLI without daemon (5)         p50 ${fmt(quantile(cold, 0.5))} (loads the index and model itself)`);
} finally {
  await rm(home, { recursive: true, force: true });
}
