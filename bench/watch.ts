/**
 * Freshness of the watcher daemon: the time from a plain fs write (no CLI) until the change is
 * handled by the daemon — indexed (when the search index is built in), logged, and delivered to a
 * subscriber, which is what this measures. Next to it, in the same run, the floor: how long a bare
 * fs.watch takes to notice the same kind of write.
 *   - 200 single edits (p50/p95), an editor-style atomic save (p50/p95 of 30),
 *   - a burst of 1,000 new files (until the last is handled),
 *   - catch-up after 1,000 changes made while the daemon was stopped.
 * usage: npm run bench:watch
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ChangeEvent } from '../src/events/change-event.js';
import { INDEX_BUILT_IN } from '../src/daemon/index-owner.js';
import { readEvents } from '../src/events/log.js';
import { subscribe } from '../src/watch/subscribe.js';

const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');
const home = await mkdtemp(join(tmpdir(), 'mycelium-bench-watch-'));
const dir = join(home, 'rooms', 'bench');
const env = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'bench' };

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const now = () => performance.now();

async function startDaemon(): Promise<{ child: ChildProcess; readyMs: number }> {
  const start = now();
  const child = spawn(process.execPath, [cli, 'daemon', 'start', '--foreground', '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolveReady, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('"ready"')) resolveReady();
    });
    child.once('exit', (code) => reject(new Error(`daemon exited ${code}`)));
  });
  return { child, readyMs: now() - start };
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Events from the daemon, and a way to wait for one. */
function listen(since?: number) {
  const controller = new AbortController();
  const waiters: { match: (e: ChangeEvent) => boolean; resolve: () => void }[] = [];
  const seen: ChangeEvent[] = [];
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  void (async () => {
    for await (const event of subscribe(home, { room: 'bench', since, signal: controller.signal, onNotice: (n) => n.kind === 'ready' && ready() })) {
      seen.push(event);
      for (const waiter of [...waiters]) {
        if (waiter.match(event)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    }
  })();
  return {
    isReady,
    seen,
    next: (match: (e: ChangeEvent) => boolean) => new Promise<void>((r) => waiters.push({ match, resolve: r })),
    close: () => controller.abort(),
  };
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
    notify = null;
  }
  watcher.close();
  return samples;
}

try {
  await mkdir(join(dir, 'seed'), { recursive: true });
  for (let i = 0; i < 1000; i++) await writeFile(join(dir, 'seed', `s${i}.md`), `seed memory ${i} about topic ${i % 37}\n`);
  let daemon = await startDaemon();
  const events = listen();
  await events.isReady;
  await mkdir(join(dir, 'edit'), { recursive: true });

  const floor = await fsWatchFloor(200);
  const single: number[] = [];
  for (let i = 0; i < 200; i++) {
    const key = `edit/k${i % 20}`;
    const start = now();
    const handled = events.next((e) => e.key === key);
    await writeFile(join(dir, `${key}.md`), `edit number ${i} word${i}\n`);
    await handled;
    single.push(now() - start);
  }

  const atomic: number[] = [];
  for (let i = 0; i < 30; i++) {
    const start = now();
    const handled = events.next((e) => e.key === 'edit/atomic' && e.type !== 'deleted');
    const temp = join(dir, 'edit', `.atomic.md.${i}.swp`);
    await writeFile(temp, `atomic save ${i}\n`);
    await rename(temp, join(dir, 'edit', 'atomic.md'));
    await handled;
    atomic.push(now() - start);
  }

  const burstStart = now();
  const burstLeft = new Set<string>();
  for (let i = 0; i < 1000; i++) burstLeft.add(`burst/b${i}`);
  const burstDone = events.next((e) => burstLeft.delete(e.key) && burstLeft.size === 0);
  await mkdir(join(dir, 'burst'), { recursive: true });
  for (let i = 0; i < 1000; i++) await writeFile(join(dir, 'burst', `b${i}.md`), `burst file ${i}\n`);
  const burstWritten = now() - burstStart;
  await burstDone;
  const burstMs = now() - burstStart;
  events.close();

  await stopDaemon(daemon.child);
  const catchStart = now();
  await mkdir(join(dir, 'offline'));
  for (let i = 0; i < 500; i++) await writeFile(join(dir, 'offline', `n${i}.md`), `offline new ${i}\n`);
  for (let i = 0; i < 300; i++) await writeFile(join(dir, 'seed', `s${i}.md`), `seed changed offline ${i}\n`);
  for (let i = 300; i < 500; i++) await unlink(join(dir, 'seed', `s${i}.md`));
  const offlineWriteMs = now() - catchStart;
  daemon = await startDaemon();
  const caughtUp = daemon.readyMs;
  await stopDaemon(daemon.child);
  const before = Math.max(...events.seen.map((e) => e.cursor ?? 0));
  const logged = (await readEvents(home, 'bench', before)).events.length;

  const handled = INDEX_BUILT_IN ? 'indexed, logged and delivered to a subscriber' : 'logged and delivered to a subscriber (index seam stubbed)';
  console.log(`watch freshness (${process.version}, ${process.platform}); room of 1,000 seed memories; handled = ${handled}`);
  console.log(`fs.watch floor (bare notify)      p50 ${fmt(quantile(floor, 0.5))}  p95 ${fmt(quantile(floor, 0.95))}`);
  console.log(`single write -> handled (200)      p50 ${fmt(quantile(single, 0.5))}  p95 ${fmt(quantile(single, 0.95))}  target p95 < 250 ms: ${quantile(single, 0.95) < 250 ? 'met' : 'MISSED'}`);
  console.log(`atomic save -> handled (30)        p50 ${fmt(quantile(atomic, 0.5))}  p95 ${fmt(quantile(atomic, 0.95))}`);
  console.log(`burst of 1,000 files -> all handled ${fmt(burstMs)} (writing them took ${fmt(burstWritten)})  target < 5 s: ${burstMs < 5000 ? 'met' : 'MISSED'}`);
  console.log(`catch-up after 1,000 offline changes: daemon start to ready (reconciled) ${fmt(caughtUp)}, ${logged} events logged (making the changes took ${fmt(offlineWriteMs)})`);
} finally {
  await rm(home, { recursive: true, force: true });
}
