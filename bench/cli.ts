/**
 * Times whole `mycelium` processes: 30 runs each of `memory set`, `memory get` and `memory ls`,
 * next to bare `node -e 0` measured in the same run, interleaved. Prints medians of wall time and
 * of CPU time (user + sys; what a loaded machine distorts least), and the load average.
 * Target (issue 9): `memory set` within node + 40 ms.
 * usage: npm run bench:cli [-- --runs N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadLine, median, timeProcessCpu } from './stats.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 30;
const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');
const home = mkdtempSync(join(tmpdir(), 'mycelium-bench-'));
const env = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'bench' };
const TARGET_MS = 40;

try {
  timeProcessCpu([cli, 'room', 'create', 'bench'], env);
  const names = ['node', 'set', 'get', 'ls'] as const;
  const wall = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<(typeof names)[number], number[]>;
  const cpu = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<(typeof names)[number], number[]>;
  const time = (name: (typeof names)[number], args: string[]) => {
    const { ms, cpuMs } = timeProcessCpu(args, env);
    wall[name].push(ms);
    cpu[name].push(cpuMs);
  };
  console.log(`at the start: ${loadLine()}`);
  // Interleave the commands so machine noise hits all of them alike.
  for (let i = 0; i < runs; i++) {
    time('node', ['-e', '0']);
    time('set', [cli, 'memory', 'set', `bench/k${i % 5}`, `value ${i}`, '--tags', 'bench']);
    time('get', [cli, 'memory', 'get', `bench/k${i % 5}`]);
    time('ls', [cli, 'memory', 'ls']);
  }
  const base = median(wall.node);
  const baseCpu = median(cpu.node);
  console.log(`runs: ${runs} each (${process.version}, ${process.platform})`);
  console.log(`node -e 0        median ${base.toFixed(1)} ms   cpu ${baseCpu.toFixed(1)} ms`);
  for (const name of ['set', 'get', 'ls'] as const) {
    const m = median(wall[name]);
    const c = median(cpu[name]);
    console.log(`mycelium memory ${name.padEnd(3)} median ${m.toFixed(1)} ms  (+${(m - base).toFixed(1)} ms over node)   cpu ${c.toFixed(1)} ms (+${(c - baseCpu).toFixed(1)})`);
  }
  const overhead = median(wall.set) - base;
  console.log(`target: set within node + ${TARGET_MS} ms: ${overhead <= TARGET_MS ? 'met' : 'MISSED'} (+${overhead.toFixed(1)} ms wall, +${(median(cpu.set) - baseCpu).toFixed(1)} ms cpu)`);
  console.log(`at the end: ${loadLine()}`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
