/**
 * Search as a new user meets it, on a room whose index is built and saved:
 * - cold CLI search: a whole `mycelium memory search` process, no daemon (p50 wall time and peak RSS
 *   from /usr/bin/time), next to the floors measured in the same run, interleaved: bare `node -e 0`
 *   and a node process that only reads the index files (no parsing);
 * - kept-open search (what the MCP and HTTP servers do without a daemon): searchMemories with the
 *   index kept open, freshness check included, p50/p95.
 * qmd is compared only when `--qmd PATH` names an installed qmd binary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import os, { loadavg } from 'node:os';

const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');
const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];

interface Run {
  ms: number;
  rssMb: number;
  /** User + system CPU time: under load from other jobs it moves far less than the wall time. */
  cpuMs: number;
}

/** One process under /usr/bin/time (when present), its wall time, peak RSS and CPU time. */
function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Run {
  const timed = existsSync('/usr/bin/time');
  const start = process.hrtime.bigint();
  const result = timed
    ? spawnSync('/usr/bin/time', ['-f', '%M %U %S', command, ...args], { env, encoding: 'utf8' })
    : spawnSync(command, args, { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  const [rssKb, user, system] = (result.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  return { ms, rssMb: timed ? rssKb / 1024 : NaN, cpuMs: timed ? (user + system) * 1000 : NaN };
}

export async function coldSearch(home: string, room: string, queries: string[], report: Record<string, number>, qmd?: string): Promise<void> {
  const env = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'bench', MYCELIUM_OFFLINE: '1' };
  const dir = join(home, 'index', room);
  const indexFiles = readdirSync(dir).filter((f) => !f.startsWith('.')).map((f) => join(dir, f));
  const readScript = `const fs=require('fs');for(const f of ${JSON.stringify(indexFiles)})fs.readFileSync(f)`;
  const runs = Math.min(20, queries.length);
  const samples: Record<string, Run[]> = { node: [], read: [], search: [], qmd: [] };
  for (let i = 0; i < runs; i++) {
    samples.node.push(runProcess(process.execPath, ['-e', '0'], env));
    samples.read.push(runProcess(process.execPath, ['-e', readScript], env));
    samples.search.push(runProcess(process.execPath, [cli, 'memory', 'search', queries[i], '--room', room, '--json'], env));
    if (qmd) samples.qmd.push(runProcess(qmd, ['search', queries[i]], env));
  }
  const p50 = (name: string) => quantile(samples[name].map((r) => r.ms), 0.5);
  const rss = (name: string) => Math.max(...samples[name].map((r) => r.rssMb));
  report.cold_node_p50_ms = p50('node');
  report.cold_read_index_p50_ms = p50('read');
  report.cold_cli_search_p50_ms = p50('search');
  report.cold_cli_search_peak_rss_mb = Math.round(rss('search'));
  const cpu = (name: string) => quantile(samples[name].map((r) => r.cpuMs), 0.5);
  report.cold_node_cpu_p50_ms = cpu('node');
  report.cold_cli_search_cpu_p50_ms = cpu('search');
  console.log(`cold CLI search, no daemon, ${runs} runs interleaved (p50 wall, peak RSS, p50 CPU user+sys), load average ${loadavg()[0].toFixed(2)} on ${os.availableParallelism()} cores:`);
  console.log(`  node -e 0                         ${p50('node').toFixed(1)} ms  ${rss('node').toFixed(0)} MiB  CPU ${cpu('node').toFixed(0)} ms`);
  console.log(`  node reading the index files      ${p50('read').toFixed(1)} ms  ${rss('read').toFixed(0)} MiB  (${indexFiles.map((f) => f.slice(dir.length + 1)).join(', ')})`);
  console.log(`  mycelium memory search --json     ${p50('search').toFixed(1)} ms  ${rss('search').toFixed(0)} MiB  CPU ${cpu('search').toFixed(0)} ms`);
  if (qmd) console.log(`  qmd search                        ${p50('qmd').toFixed(1)} ms  ${rss('qmd').toFixed(0)} MiB`);
  else console.log('  qmd: not installed here (give --qmd PATH to compare)');

  // Kept open: what `mycelium mcp` and `mycelium serve` do without a daemon.
  const { searchMemories } = await import('../src/daemon/client.js');
  await searchMemories(home, room, queries[0], { mode: 'bm25' }, true); // opens the index
  const latencies: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    await searchMemories(home, room, q, { mode: 'bm25' }, true);
    latencies.push(performance.now() - t);
  }
  report.kept_open_search_p50_ms = quantile(latencies, 0.5);
  report.kept_open_search_p95_ms = quantile(latencies, 0.95);
  console.log(`kept-open search (MCP/HTTP without a daemon, freshness check included), ${queries.length} queries, load average ${loadavg()[0].toFixed(2)}   p50 ${report.kept_open_search_p50_ms.toFixed(1)} ms  p95 ${report.kept_open_search_p95_ms.toFixed(1)} ms`);
}
