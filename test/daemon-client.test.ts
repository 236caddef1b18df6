import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, stop, type Running } from './daemon-helpers.js';
import { cli, cliPath, homeWithRoom } from './helpers.js';

// One client facade (src/daemon/client.ts) for every face: writes tell a running daemon what they
// changed, and every face's search takes the same options.

const offline = { MYCELIUM_OFFLINE: '1' };
const clients: Client[] = [];
const daemons: Running[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()!.close();
  while (daemons.length > 0) await stop(daemons.pop()!);
});

async function connect(home: string): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [cliPath, 'mcp', '--room', 'team'], env: { MYCELIUM_HOME: home, ...offline }, cwd: home, stderr: 'pipe' });
  const client = new Client({ name: 'mycelium-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function callOk(client: Client, name: string, args: Record<string, unknown>): Promise<any> {
  const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { text: string }[] };
  expect(result.isError, result.content[0]?.text).toBeFalsy();
  return JSON.parse(result.content[0].text);
}

const keysOf = (response: { results: { key: string }[] }) => response.results.map((r) => r.key).sort();

describe('the daemon client facade', () => {
  it('read-your-writes with a daemon running: MCP and CLI writes and removals are searched at once, from either face', async () => {
    const home = homeWithRoom();
    daemons.push(await startDaemon(home, { env: offline }));
    const client = await connect(home);
    for (let i = 0; i < 3; i++) {
      await callOk(client, 'memory_set', { key: `mcp/k${i}`, value: `quokka${i}marker lives here` });
      expect(keysOf(await callOk(client, 'memory_search', { query: `quokka${i}marker` }))).toEqual([`mcp/k${i}`]);
      const viaCli = JSON.parse(cli(['memory', 'search', `quokka${i}marker`, '--room', 'team', '--json'], { home, env: offline }).stdout);
      expect(keysOf(viaCli)).toEqual([`mcp/k${i}`]);

      expect(cli(['memory', 'set', `cli/k${i}`, `wombat${i}marker too`, '--room', 'team'], { home, env: offline }).code).toBe(0);
      expect(keysOf(await callOk(client, 'memory_search', { query: `wombat${i}marker` }))).toEqual([`cli/k${i}`]);
    }
    await callOk(client, 'memory_rm', { key: 'mcp/k0' });
    expect(keysOf(await callOk(client, 'memory_search', { query: 'quokka0marker' }))).toEqual([]);
    expect(cli(['memory', 'rm', 'cli/k0', '--room', 'team'], { home, env: offline }).code).toBe(0);
    expect(keysOf(await callOk(client, 'memory_search', { query: 'wombat0marker' }))).toEqual([]);
  });

  it('MCP search takes the same filters as the CLI and HTTP (prefix, tags, by, since, explain), checked by one rule', async () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'decisions/db', 'heron database choice', '--tags', 'db,ops', '--handle', 'ana', '--room', 'team'], { home });
    cli(['memory', 'set', 'notes/db', 'heron database notes', '--tags', 'db', '--handle', 'bob', '--room', 'team'], { home });
    const client = await connect(home);
    expect(keysOf(await callOk(client, 'memory_search', { query: 'heron' }))).toEqual(['decisions/db', 'notes/db']);
    expect(keysOf(await callOk(client, 'memory_search', { query: 'heron', prefix: 'notes/' }))).toEqual(['notes/db']);
    expect(keysOf(await callOk(client, 'memory_search', { query: 'heron', tags: ['ops'] }))).toEqual(['decisions/db']);
    expect(keysOf(await callOk(client, 'memory_search', { query: 'heron', by: 'bob' }))).toEqual(['notes/db']);
    expect(keysOf(await callOk(client, 'memory_search', { query: 'heron', since: '2999-01-01' }))).toEqual([]);
    const explained = await callOk(client, 'memory_search', { query: 'heron', explain: true, limit: 1 });
    expect(explained.results).toHaveLength(1);
    expect(explained.results[0].explain).toMatchObject({ bm25_rank: 1 });
    // The limit cap is the client's, for every face (it was HTTP's only).
    const tooMany = (await client.callTool({ name: 'memory_search', arguments: { query: 'heron', limit: 5000 } })) as { isError?: boolean; content: { text: string }[] };
    expect(tooMany.isError).toBe(true);
    expect(tooMany.content[0].text).toMatch(/limit must be a whole number from 1 to 1000/);
    const viaCli = cli(['memory', 'search', 'heron', '--limit', '5000', '--room', 'team'], { home, env: offline });
    expect(viaCli.code).toBe(2);
    expect(viaCli.stderr).toMatch(/limit must be a whole number from 1 to 1000/);
  });
});
