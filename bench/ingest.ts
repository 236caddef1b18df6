/**
 * Does the knowledge-ingest forwarder slow `memory set`? Times whole `mycelium memory set`
 * processes in a home with no forwarder and in one with the forwarder on and its receiver stalled
 * (it accepts connections and never answers), next to bare `node -e 0`, interleaved. Prints medians.
 * usage: npm run bench:ingest [-- --runs N]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, timeProcess } from './stats.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 20;
const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');
const sockets: Socket[] = [];
const stalled = createServer((socket) => void sockets.push(socket)); // never answers
await new Promise<void>((done) => stalled.listen(0, '127.0.0.1', done));
const port = (stalled.address() as { port: number }).port;

const homes = { off: mkdtempSync(join(tmpdir(), 'mycelium-bench-off-')), stalled: mkdtempSync(join(tmpdir(), 'mycelium-bench-on-')) };
writeFileSync(
  join(homes.stalled, 'config.toml'),
  `[knowledge_ingest]\nenabled = true\nurl = "http://127.0.0.1:${port}/ingest"\ntoken_env = "BENCH_TOKEN"\nmin_content_chars = 1\ntimeout_ms = 2000\n`,
);
const envOf = (home: string) => ({ ...process.env, MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'bench', BENCH_TOKEN: 't' });

function time(args: string[], home: string): number {
  return timeProcess(args, envOf(home)).ms;
}

try {
  for (const home of Object.values(homes)) time([cli, 'room', 'create', 'bench'], home);
  const samples = { node: [] as number[], off: [] as number[], stalled: [] as number[] };
  for (let i = 0; i < runs; i++) {
    samples.node.push(time(['-e', '0'], homes.off));
    samples.off.push(time([cli, 'memory', 'set', `bench/k${i}`, `value number ${i}`], homes.off));
    samples.stalled.push(time([cli, 'memory', 'set', `bench/k${i}`, `value number ${i}`], homes.stalled));
  }
  const base = median(samples.node);
  const off = median(samples.off);
  const on = median(samples.stalled);
  console.log(`runs: ${runs} each (${process.version}, ${process.platform})`);
  console.log(`node -e 0                               median ${base.toFixed(1)} ms`);
  console.log(`memory set, no forwarder (baseline)     median ${off.toFixed(1)} ms`);
  console.log(`memory set, forwarder on, receiver stalled  median ${on.toFixed(1)} ms  (${on - off >= 0 ? '+' : ''}${(on - off).toFixed(1)} ms over the baseline)`);
  console.log(`target: within 25 ms of the baseline: ${on - off <= 25 ? 'met' : 'MISSED'}`);
} finally {
  for (const s of sockets) s.destroy();
  stalled.close();
  // Detached `ingest flush` processes may still be writing the log: give them a moment.
  await new Promise((done) => setTimeout(done, 3000));
  for (const home of Object.values(homes)) {
    try {
      rmSync(home, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
    } catch {
      console.log(`(could not remove ${home} yet; a detached flush still runs in it)`);
    }
  }
}
