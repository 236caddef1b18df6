/**
 * What an agent pays per memory operation through MCP, next to the shell.
 * - startup: spawn `mycelium mcp` and complete the MCP handshake plus tools/list (10 runs), next to
 *   bare `node -e 0` spawned in the same run;
 * - per call: memory_set and memory_get over one running server (200 calls each), next to a whole
 *   `mycelium memory get` process (20 runs), the cost of the same read from a shell;
 * - search: memory_search (BM25, offline) over the running server, whose index stays open, next to
 *   a whole `mycelium memory search` process (20 runs each) on the same 200-memory room.
 * Prints medians. usage: npm run bench:mcp [-- --calls N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { median } from './stats.js';

const calls = Number(process.argv[process.argv.indexOf('--calls') + 1]) || 200;
const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');
const home = mkdtempSync(join(tmpdir(), 'mycelium-bench-mcp-'));
// Offline: no model, so search is BM25 and the numbers do not depend on a download.
const env = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'bench', MYCELIUM_OFFLINE: '1' } as Record<string, string>;
delete env.MYCELIUM_MODEL_DIR;


function spawnMs(args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return performance.now() - start;
}

async function connect(): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp'], env, stderr: 'ignore' }));
  return client;
}

async function callMs(client: Client, name: string, args: Record<string, unknown>): Promise<number> {
  const start = performance.now();
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return performance.now() - start;
}

try {
  spawnMs([cli, 'room', 'create', 'bench']);
  const node: number[] = [];
  const startup: number[] = [];
  for (let i = 0; i < 10; i++) {
    node.push(spawnMs(['-e', '0']));
    const start = performance.now();
    const client = await connect();
    await client.listTools();
    startup.push(performance.now() - start);
    await client.close();
  }

  const client = await connect();
  const set: number[] = [];
  const get: number[] = [];
  for (let i = 0; i < calls; i++) {
    set.push(await callMs(client, 'memory_set', { key: `bench/k${i}`, value: `value ${i} about topic ${i % 7} and more words`, tags: ['bench'] }));
    get.push(await callMs(client, 'memory_get', { key: `bench/k${i}` }));
  }
  const search: number[] = [];
  await callMs(client, 'memory_search', { query: 'topic 3' }); // the first search builds the index
  for (let i = 0; i < 20; i++) search.push(await callMs(client, 'memory_search', { query: `topic ${i % 7} words` }));
  await client.close();
  const shellGet: number[] = [];
  const shellSearch: number[] = [];
  for (let i = 0; i < 20; i++) {
    shellGet.push(spawnMs([cli, 'memory', 'get', `bench/k${i}`]));
    shellSearch.push(spawnMs([cli, 'memory', 'search', `topic ${i % 7} words`]));
  }

  const base = median(node);
  console.log(`${process.version}, ${process.platform}`);
  const row = (label: string, ms: number, digits: number, note: string) => console.log(`${label.padEnd(37)} median ${ms.toFixed(digits)} ms ${note}`);
  row('node -e 0', base, 1, '(10 runs)');
  row('mcp startup + handshake + tools/list', median(startup), 1, `(10 runs, +${(median(startup) - base).toFixed(1)} ms over node)`);
  row('memory_set over MCP', median(set), 2, `(${calls} calls)`);
  row('memory_get over MCP', median(get), 2, `(${calls} calls)`);
  row('mycelium memory get, whole process', median(shellGet), 1, `(20 runs; ${(median(shellGet) / median(get)).toFixed(0)}x the MCP call)`);
  row(`memory_search over MCP (${calls} memories)`, median(search), 2, '(20 calls, index kept open, BM25)');
  row('mycelium memory search, whole process', median(shellSearch), 1, `(20 runs; ${(median(shellSearch) / median(search)).toFixed(0)}x the MCP call)`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
