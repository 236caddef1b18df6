import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, cliPath, homeWithRoom, startServe } from './helpers.js';

/**
 * The query syntax ("exact phrase", -word, min_score) through the two other faces, each a real
 * process: `mycelium mcp` over stdio with the SDK client, and `mycelium serve` on 127.0.0.1 on a free
 * port. The CLI's own tests are in search-query.test.ts; these check the faces take the same syntax.
 */
const offline = { MYCELIUM_OFFLINE: '1' };
const TOKEN = 's3cret-query-faces';

function seeded(): string {
  const home = homeWithRoom();
  const set = (key: string, value: string) => {
    const result = cli(['memory', 'set', key, value, '--handle', 'ana'], { home });
    if (result.code !== 0) throw new Error(result.stderr);
  };
  set('deploy/blue', 'Intro line\n\nWe deploy with blue green switches.\nRollback is instant.');
  set('deploy/green', 'Green builds deploy to blue hosts later.');
  set('deploy/canary', 'Canary deploys go first, then the rest.');
  return home;
}

const clients: Client[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()!.close();
});

async function mcp(home: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, 'mcp'],
    env: { MYCELIUM_HOME: home, ...offline },
    cwd: home,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'mycelium-query-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

interface ToolResult {
  isError?: boolean;
  content: { type: string; text: string }[];
}

describe('query syntax through MCP (mycelium mcp over stdio)', () => {
  it('takes "exact phrase", -word and min_score like the CLI; a query of only excluded words is an error', async () => {
    const home = seeded();
    const client = await mcp(home);
    const search = async (args: Record<string, unknown>) => {
      const result = (await client.callTool({ name: 'memory_search', arguments: { mode: 'bm25', ...args } })) as ToolResult;
      expect(result.isError, result.content[0]?.text).toBeFalsy();
      return JSON.parse(result.content[0].text).results as { key: string; score: number; line: number }[];
    };
    const keys = async (query: string) => (await search({ query })).map((r) => r.key).sort();

    expect(await keys('blue green')).toEqual(['deploy/blue', 'deploy/green']);
    expect(await keys('"blue green"')).toEqual(['deploy/blue']);
    expect(await keys('"green blue"')).toEqual([]);
    expect(await keys('deploy -canary')).toEqual(['deploy/blue', 'deploy/green']);
    expect(await keys('deploy -canaries -later')).toEqual(['deploy/blue']);
    expect(await keys('deploy -"blue hosts"')).toEqual(['deploy/blue', 'deploy/canary']);

    // The phrase's line: line 3 of the body is "We deploy with blue green switches." (the file's line
    // counts the frontmatter too, so it is compared with the CLI's answer for the same query).
    const [phrase] = await search({ query: '"blue green"' });
    const viaCli = JSON.parse(cli(['memory', 'search', '"blue green"', '--mode', 'bm25', '--json'], { home, env: offline }).stdout).results[0];
    expect(phrase.line).toBe(viaCli.line);

    const [top] = await search({ query: 'rollback' });
    expect((await search({ query: 'rollback', min_score: top.score + 0.001 })).length).toBe(0);
    expect((await search({ query: 'rollback', min_score: top.score })).map((r) => r.key)).toEqual(['deploy/blue']);

    // A file edited in place after the server started: a phrase it now holds is found.
    writeFileSync(join(home, 'rooms', 'team', 'deploy', 'canary.md'), '---\nversion: 1\n---\nCanary deploys use blue green too.\n');
    expect(await keys('"blue green" -switches')).toEqual(['deploy/canary']);

    const only = (await client.callTool({ name: 'memory_search', arguments: { query: '-deploy -blue' } })) as ToolResult;
    expect(only.isError).toBe(true);
    expect(only.content[0].text.trim().split('\n')).toHaveLength(1);
  });
});

describe('query syntax through HTTP (mycelium serve on 127.0.0.1)', () => {
  it('POST /rooms/:room/search takes "exact phrase", -word and min_score; a query of only excluded words is 400', async () => {
    const home = seeded();
    const { url } = await startServe(home, ['--token', TOKEN], offline);
    const post = async (body: Record<string, unknown>) => {
      const response = await fetch(`${url}/rooms/team/search`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ mode: 'bm25', ...body }),
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    const keys = async (query: string) => {
      const r = await post({ query });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return (r.body.results as { key: string }[]).map((x) => x.key).sort();
    };

    expect(await keys('blue green')).toEqual(['deploy/blue', 'deploy/green']);
    expect(await keys('"blue green"')).toEqual(['deploy/blue']);
    expect(await keys('"green blue"')).toEqual([]);
    expect(await keys('deploy -canary')).toEqual(['deploy/blue', 'deploy/green']);
    expect(await keys('deploy -canaries -later')).toEqual(['deploy/blue']);
    expect(await keys('deploy -"blue hosts"')).toEqual(['deploy/blue', 'deploy/canary']);

    const top = (await post({ query: 'rollback' })).body.results[0];
    expect(top.key).toBe('deploy/blue');
    expect(typeof top.line).toBe('number');
    expect((await post({ query: 'rollback', min_score: top.score + 0.001 })).body.results).toEqual([]);

    const only = await post({ query: '-deploy -blue' });
    expect(only.status).toBe(400);
  });
});
