/**
 * Times whole `mycelium` processes: 30 runs each of `memory set` and `memory get`,
 * next to bare `node -e 0` measured in the same run. Prints medians.
 * usage: npm run bench:cli [-- --runs N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, timeProcess } from './stats.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 30;
const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');
const home = mkdtempSync(join(tmpdir(), 'mycelium-bench-'));
const env = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'bench' };

const time = (args: string[]): number => timeProcess(args, env).ms;


try {
  time([cli, 'room', 'create', 'bench']);
  const samples: Record<string, number[]> = { node: [], set: [], get: [], ls: [] };
  // Interleave the commands so machine noise hits all of them alike.
  for (let i = 0; i < runs; i++) {
    samples.node.push(time(['-e', '0']));
    samples.set.push(time([cli, 'memory', 'set', `bench/k${i % 5}`, `value ${i}`, '--tags', 'bench']));
    samples.get.push(time([cli, 'memory', 'get', `bench/k${i % 5}`]));
    samples.ls.push(time([cli, 'memory', 'ls']));
  }
  const base = median(samples.node);
  console.log(`runs: ${runs} each (${process.version}, ${process.platform})`);
  console.log(`node -e 0        median ${base.toFixed(1)} ms`);
  for (const name of ['set', 'get', 'ls']) {
    const m = median(samples[name]);
    console.log(`mycelium memory ${name.padEnd(3)} median ${m.toFixed(1)} ms  (+${(m - base).toFixed(1)} ms over node)`);
  }
  const overhead = median(samples.set) - base;
  console.log(`target: set within 80 ms of node startup: ${overhead <= 80 ? 'met' : 'MISSED'} (+${overhead.toFixed(1)} ms)`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
