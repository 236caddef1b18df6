/** The one median, percentile and whole-process timer every bench reports with. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The value at or below which p percent of the values fall (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `node ARGS` to the end and returns its wall time in ms and its stdout; a failure throws. */
export function timeProcess(args: string[], env: NodeJS.ProcessEnv, input = ''): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, encoding: 'utf8', input });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

/**
 * Like timeProcess, and also the child's CPU time (user + sys, all its threads, in ms), which a
 * loaded machine distorts far less than wall time. A one-line `-r` preload reports
 * `process.cpuUsage()` on exit on stderr; the baseline `node -e 0` gets the same preload.
 */
export function timeProcessCpu(args: string[], env: NodeJS.ProcessEnv, input = ''): { ms: number; cpuMs: number; stdout: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-r', cpuReporter(), ...args], { env, encoding: 'utf8', input });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  const cpu = /\ncpu-us (\d+) (\d+)\n?$/.exec('\n' + result.stderr);
  return { ms, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) / 1000 : NaN, stdout: result.stdout };
}

let reporter: string | undefined;
function cpuReporter(): string {
  if (reporter) return reporter;
  const dir = mkdtempSync(join(tmpdir(), 'mycelium-bench-cpu-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  reporter = join(dir, 'cpu-report.cjs');
  writeFileSync(reporter, "process.on('exit', () => { const u = process.cpuUsage(); require('fs').writeSync(2, `\\ncpu-us ${u.user} ${u.system}\\n`); });\n");
  return reporter;
}

/** The machine's load average, for printing beside figures measured on a shared machine. */
export function loadLine(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}
