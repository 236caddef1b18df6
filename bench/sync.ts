/**
 * Sync and server benchmark.
 *  1. Clone a room of N memories (default 10,000) over HTTP and over git (local bare repo via file://),
 *     then incremental syncs of 10 changed memories each way; time and bytes for each.
 *  2. 50 concurrent clients doing mixed get/put/search (35/40/25 %; list instead of search when the server has none) for 30 s
 *     against `mycelium serve`; every write is read back; throughput and p95.
 * Baselines measured in the same run: `node -e 0`, a plain read of every file, a /healthz round trip.
 * usage: npm run bench:sync [-- --memories N --clients C --seconds S --part sync|load]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, percentile } from './stats.js';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback;
const MEMORIES = arg('memories', 10_000);
const CLIENTS = arg('clients', 50);
const SECONDS = arg('seconds', 30);
const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');
const root = mkdtempSync(join(tmpdir(), 'mycelium-bench-sync-'));
const gitEnv = { GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid' };

const settle = () => new Promise((resolveWait) => setTimeout(resolveWait, 300));

/** Times a whole CLI process (asynchronously: the byte-counting proxy lives in this process). */
function run(home: string, args: string[]): Promise<number> {
  const start = performance.now();
  const child = spawn(process.execPath, [cli, ...args, '--handle', 'bench'], { env: { ...process.env, ...gitEnv, MYCELIUM_HOME: home } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  return new Promise((resolveRun, reject) =>
    child.on('close', (code) => {
      if (code === 0) resolveRun(performance.now() - start);
      else reject(new Error(`mycelium ${args.join(' ')} exited ${code}: ${stderr}`));
    }),
  );
}



const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function memoryFile(key: string, i: number, edit = 0): string {
  const at = new Date(Date.UTC(2026, 10, 21, 8, 0, i % 60)).toISOString();
  return [
    '---',
    `key: ${key}`,
    'created_by: bench',
    `created_at: ${at}`,
    'updated_by: bench',
    `updated_at: ${at}`,
    `version: ${1 + edit}`,
    `tags: [bench, t${i % 17}]`,
    '---',
    `Decision ${i}${edit ? ` (edit ${edit})` : ''}: keep service ${i % 97} on PostgreSQL with nightly backups; ` +
      `owner team-${i % 13}; reviewed for latency, cost and failure modes. See runbook section ${i % 31}.`,
    '',
  ].join('\n');
}

function seedRoom(dir: string, count: number): number {
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const key = `area-${i % 50}/note-${i}`;
    mkdirSync(join(dir, `area-${i % 50}`), { recursive: true });
    const text = memoryFile(key, i);
    bytes += Buffer.byteLength(text);
    writeFileSync(join(dir, `${key}.md`), text);
  }
  return bytes;
}

/** Every file under a folder (own walk: Node 20's recursive readdir reports the wrong parentPath). */
function filesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...filesUnder(full));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

function readAll(dir: string): number {
  return filesUnder(dir).reduce((n, file) => n + readFileSync(file).length, 0);
}

/** A TCP proxy that counts the bytes each way: what an HTTP sync really sends over the wire. */
function countingProxy(port: number): Promise<{ port: number; bytes: () => number; reset: () => void; server: Server }> {
  let total = 0;
  let ownHost = /$^/;
  const server = createServer((socket) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    // The server answers only a Host with its own port (DNS-rebinding guard), as a reverse proxy
    // would set it: each request's Host is rewritten to the server's port. Bytes are counted as the
    // client sent them. (undici writes a request's headers in one chunk, so the header is never split.)
    socket.on('data', (d: Buffer) => {
      total += d.length;
      upstream.write(Buffer.from(d.toString('latin1').replace(ownHost, `host: 127.0.0.1:${port}\r\n`), 'latin1'));
    });
    socket.on('end', () => upstream.end());
    upstream.on('data', (d) => (total += d.length));
    upstream.pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  return new Promise((resolveProxy) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      ownHost = new RegExp(`^host: (?:127\\.0\\.0\\.1|localhost):${address.port}\\r\\n`, 'gim');
      resolveProxy({ port: address.port, bytes: () => total, reset: () => (total = 0), server });
    }),
  );
}

/** Stops a server and waits for it to finish writing (it saves its search index on the way out). */
function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null) return resolveStop();
    child.once('exit', () => resolveStop());
    child.kill('SIGTERM');
  });
}

function startServer(home: string): Promise<{ child: ChildProcess; url: string }> {
  // No network attempt for a model: MYCELIUM_MODEL_DIR picks a local one, else search is BM25.
  const offline = process.env.MYCELIUM_MODEL_DIR ? {} : { MYCELIUM_OFFLINE: '1' };
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []; // e.g. --cpu-prof
  const child = spawn(process.execPath, [...nodeArgs, cli, 'serve', '--port', '0', '--rate-limit', '0'], { env: { ...process.env, ...offline, MYCELIUM_HOME: home } });
  return new Promise((resolveServer, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const match = / on (http:\/\/\S+)/.exec(out);
      if (match) resolveServer({ child, url: match[1] });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
}

function dirBytes(dir: string): number {
  return filesUnder(dir).reduce((n, file) => n + statSync(file).size, 0);
}

function git(args: string[], cwd: string): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...gitEnv } });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function syncBench(): Promise<void> {
  const nodeMs = median([0, 1, 2, 3, 4].map(() => {
    const s = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    return performance.now() - s;
  }));
  const serverHome = join(root, 'server');
  const roomDir = join(serverHome, 'rooms', 'bench');
  mkdirSync(roomDir, { recursive: true });
  const seeded = seedRoom(roomDir, MEMORIES);
  const readStart = performance.now();
  readAll(roomDir);
  const readMs = performance.now() - readStart;
  console.log(`room: ${MEMORIES} memories, ${kb(seeded)} of markdown (${process.version}, ${process.platform})`);
  console.log(`baseline: node -e 0 median ${nodeMs.toFixed(0)} ms; plain read of every file ${readMs.toFixed(0)} ms`);

  // HTTP
  const server = await startServer(serverHome);
  const proxy = await countingProxy(Number(new URL(server.url).port));
  const roomUrl = `http://127.0.0.1:${proxy.port}/rooms/bench`;
  await fetch(`${server.url}/rooms/bench/changes?since=0&limit=1`); // the server builds its feed once, at first use
  const httpHome = join(root, 'http-client');
  proxy.reset();
  const httpClone = await run(httpHome, ['room', 'clone', roomUrl]);
  const httpCloneBytes = proxy.bytes();
  const pullTimes: number[] = [];
  const pushTimes: number[] = [];
  let pullBytes = 0;
  let pushBytes = 0;
  for (let round = 1; round <= 5; round++) {
    for (let i = 0; i < 10; i++) {
      const n = round * 100 + i;
      writeFileSync(join(roomDir, `area-${n % 50}`, `note-${n}.md`), memoryFile(`area-${n % 50}/note-${n}`, n, round));
    }
    await settle(); // the server's daemon logs the writes a moment after they land
    proxy.reset();
    pullTimes.push(await run(httpHome, ['sync', '--room', 'bench']));
    pullBytes = proxy.bytes();
    const clientDir = join(httpHome, 'rooms', 'bench');
    for (let i = 0; i < 10; i++) {
      const n = round * 100 + 50 + i;
      writeFileSync(join(clientDir, `area-${n % 50}`, `note-${n}.md`), memoryFile(`area-${n % 50}/note-${n}`, n, round + 10));
    }
    proxy.reset();
    pushTimes.push(await run(httpHome, ['sync', '--room', 'bench']));
    pushBytes = proxy.bytes();
  }
  const quiet = median([await run(httpHome, ['sync', '--room', 'bench']), await run(httpHome, ['sync', '--room', 'bench']), await run(httpHome, ['sync', '--room', 'bench'])]);
  // The same syncs as library calls in this process: the sync itself, without a CLI process starting.
  const { syncRoom } = await import('../src/sync/share.js');
  const inPull: number[] = [];
  const inPush: number[] = [];
  let counted = '';
  const previousHome = process.env.MYCELIUM_HOME;
  process.env.MYCELIUM_HOME = httpHome;
  for (let round = 6; round <= 10; round++) {
    for (let i = 0; i < 10; i++) {
      const n = round * 100 + i;
      writeFileSync(join(roomDir, `area-${n % 50}`, `note-${n}.md`), memoryFile(`area-${n % 50}/note-${n}`, n, round));
    }
    await settle();
    let start = performance.now();
    const pulled = await syncRoom(httpHome, 'bench', 'bench');
    inPull.push(performance.now() - start);
    const clientDir = join(httpHome, 'rooms', 'bench');
    for (let i = 0; i < 10; i++) {
      const n = round * 100 + 50 + i;
      writeFileSync(join(clientDir, `area-${n % 50}`, `note-${n}.md`), memoryFile(`area-${n % 50}/note-${n}`, n, round + 10));
    }
    start = performance.now();
    const pushed = await syncRoom(httpHome, 'bench', 'bench');
    inPush.push(performance.now() - start);
    counted = `${pulled.incoming.length} in, ${pushed.outgoing.length} out`;
  }
  if (previousHome === undefined) delete process.env.MYCELIUM_HOME;
  else process.env.MYCELIUM_HOME = previousHome;
  console.log(`HTTP clone of ${MEMORIES}: ${(httpClone / 1000).toFixed(2)} s, ${kb(httpCloneBytes)} on the wire (target < 10 s: ${httpClone < 10_000 ? 'met' : 'MISSED'})`);
  console.log(`HTTP sync pulling 10 changes: median ${median(pullTimes).toFixed(0)} ms, ${kb(pullBytes)}; pushing 10: median ${median(pushTimes).toFixed(0)} ms, ${kb(pushBytes)}; nothing to do: ${quiet.toFixed(0)} ms (whole CLI processes; target < 300 ms: ${Math.max(median(pullTimes), median(pushTimes)) < 300 ? 'met' : 'MISSED'})`);
  console.log(`HTTP sync as a library call (no process start): pulling 10 median ${median(inPull).toFixed(0)} ms, pushing 10 median ${median(inPush).toFixed(0)} ms (last round: ${counted}; target < 300 ms: ${Math.max(median(inPull), median(inPush)) < 300 ? 'met' : 'MISSED'})`);
  proxy.server.close();

  // git
  const bare = join(root, 'bench.git');
  git(['init', '-q', '--bare', '-b', 'main', bare], root);
  const gitSource = join(root, 'git-source');
  mkdirSync(join(gitSource, 'rooms'), { recursive: true });
  spawnSync('cp', ['-r', roomDir, join(gitSource, 'rooms', 'bench')]);
  await run(gitSource, ['room', 'remote', 'bench', `file://${bare}`]);
  const firstPush = await run(gitSource, ['sync', '--room', 'bench']);
  const gitHome = join(root, 'git-client');
  const gitClone = await run(gitHome, ['room', 'clone', `file://${bare}`]);
  const gitCloneBytes = dirBytes(join(gitHome, 'rooms', 'bench', '.git', 'objects'));
  const gitPull: number[] = [];
  const gitPush: number[] = [];
  let gitPullBytes = 0;
  let gitPushBytes = 0;
  const clientObjects = join(gitHome, 'rooms', 'bench', '.git', 'objects');
  for (let round = 1; round <= 5; round++) {
    const srcRoom = join(gitSource, 'rooms', 'bench');
    for (let i = 0; i < 10; i++) {
      const n = round * 100 + i;
      writeFileSync(join(srcRoom, `area-${n % 50}`, `note-${n}.md`), memoryFile(`area-${n % 50}/note-${n}`, n, round + 20));
    }
    await run(gitSource, ['sync', '--room', 'bench']);
    const before = dirBytes(clientObjects);
    gitPull.push(await run(gitHome, ['sync', '--room', 'bench']));
    gitPullBytes = dirBytes(clientObjects) - before;
    const clientDir = join(gitHome, 'rooms', 'bench');
    for (let i = 0; i < 10; i++) {
      const n = round * 100 + 50 + i;
      writeFileSync(join(clientDir, `area-${n % 50}`, `note-${n}.md`), memoryFile(`area-${n % 50}/note-${n}`, n, round + 30));
    }
    const bareBefore = dirBytes(join(bare, 'objects'));
    gitPush.push(await run(gitHome, ['sync', '--room', 'bench']));
    gitPushBytes = dirBytes(join(bare, 'objects')) - bareBefore;
  }
  console.log(`git first push of ${MEMORIES} (room remote + sync): ${(firstPush / 1000).toFixed(2)} s`);
  console.log(`git clone of ${MEMORIES}: ${(gitClone / 1000).toFixed(2)} s, ${kb(gitCloneBytes)} of objects received`);
  console.log(`git sync pulling 10 changes: median ${median(gitPull).toFixed(0)} ms, ${kb(gitPullBytes)}; pushing 10: median ${median(gitPush).toFixed(0)} ms, ${kb(gitPushBytes)} (target < 1 s: ${Math.max(median(gitPull), median(gitPush)) < 1000 ? 'met' : 'MISSED'})`);
  await stopServer(server.child);
}

async function loadBench(): Promise<void> {
  const home = join(root, 'load');
  mkdirSync(join(home, 'rooms', 'load'), { recursive: true });
  seedRoom(join(home, 'rooms', 'load'), 1000);
  const server = await startServer(home);
  const base = `${server.url}/rooms/load`;
  const health: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    await (await fetch(`${server.url}/healthz`)).text();
    health.push(performance.now() - s);
  }
  const probe = await fetch(`${base}/search`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query":"backups"}' });
  const canSearch = probe.status === 200;
  const searchMode = canSearch ? ((await probe.clone().json()) as { mode: string }).mode : 'none';
  const latencies: Record<string, number[]> = { get: [], put: [], list: [], search: [] };
  let errors = 0;
  let lost = 0;
  let writes = 0;
  const errorSamples: string[] = [];
  const deadline = Date.now() + SECONDS * 1000;

  const timed = async (kind: string, work: () => Promise<Response>): Promise<Response> => {
    const s = performance.now();
    const response = await work();
    const body = await response.text();
    latencies[kind].push(performance.now() - s);
    if (!response.ok) {
      errors++;
      if (errorSamples.length < 5) errorSamples.push(`${kind} ${response.status} ${body.slice(0, 120)}`);
    }
    return new Response(body, { status: response.status, headers: response.headers });
  };

  const client = async (c: number) => {
    const mine = new Map<string, string>();
    let n = 0;
    while (Date.now() < deadline) {
      const roll = Math.random();
      if (roll < 0.35 || mine.size === 0) {
        const key = `load/c${c}/k${n % 20}`;
        const value = `client ${c} write ${n++}`;
        await timed('put', () => fetch(`${base}/memory/${key}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ value }) }));
        writes++;
        mine.set(key, value);
        const back = await timed('get', () => fetch(`${base}/memory/${key}`));
        if ((await back.json()).value !== value) lost++;
      } else if (roll < 0.75) {
        const keys = [...mine.keys()];
        const key = keys[Math.floor(Math.random() * keys.length)];
        const got = await timed('get', () => fetch(`${base}/memory/${key}`));
        if ((await got.json()).value !== mine.get(key)) lost++;
      } else if (canSearch) {
        await timed('search', () => fetch(`${base}/search`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: `service ${c % 97} backups`, limit: 10 }) }));
      } else {
        await timed('list', () => fetch(`${base}/memory?prefix=area-${c % 50}/&limit=100`));
      }
    }
    return mine;
  };
  const start = performance.now();
  const finals = await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  const elapsed = (performance.now() - start) / 1000;
  // Every client's last write of every key must be on disk.
  for (const mine of finals) {
    for (const [key, value] of mine) {
      const text = readFileSync(join(home, 'rooms', 'load', `${key}.md`), 'utf8');
      if (!text.endsWith(`\n${value}`)) lost++;
    }
  }
  const all = Object.values(latencies).flat();
  console.log(`baseline: /healthz round trip p50 ${median(health).toFixed(2)} ms, p95 ${percentile(health, 95).toFixed(2)} ms`);
  console.log(`load: ${CLIENTS} clients for ${elapsed.toFixed(1)} s: ${all.length} requests, ${(all.length / elapsed).toFixed(0)} req/s, p50 ${median(all).toFixed(1)} ms, p95 ${percentile(all, 95).toFixed(1)} ms; ${writes} writes, each read back`);
  for (const [kind, values] of Object.entries(latencies)) {
    if (values.length > 0) console.log(`  ${kind.padEnd(6)} ${String(values.length).padStart(7)} requests  p50 ${median(values).toFixed(1)} ms  p95 ${percentile(values, 95).toFixed(1)} ms`);
  }
  if (!canSearch) console.log(`  search not in the mix: the server answered ${probe.status}`);
  else console.log(`  search mode: ${searchMode}`);
  console.log(`errors: ${errors}, lost writes: ${lost} (target: 0 and 0: ${errors === 0 && lost === 0 ? 'met' : 'MISSED'})`);
  for (const sample of errorSamples) console.log(`  e.g. ${sample}`);
  await stopServer(server.child);
}

const part = process.argv[process.argv.indexOf('--part') + 1];
try {
  if (part !== 'load') await syncBench();
  if (part !== 'sync') await loadBench();
} finally {
  rmSync(root, { recursive: true, force: true });
}
