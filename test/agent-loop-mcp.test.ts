import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, cliPath, homeWithRoom } from './helpers.js';

const clients: Client[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()!.close();
});

async function connect(home: string, handle: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, 'mcp'],
    env: { MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: handle, MYCELIUM_ROOM: 'team' },
    cwd: home,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'mycelium-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

type Result = { isError?: boolean; content: { text: string }[]; structuredContent?: any };

describe('the digest over MCP', () => {
  it('a long-running session sees messages other processes send, as a tool (full and delta) and as a resource', async () => {
    const home = homeWithRoom();
    const client = await connect(home, 'ana');
    const { tools } = await client.listTools();
    const digestTool = tools.find((t) => t.name === 'digest');
    expect(Object.keys((digestTool?.inputSchema as { properties: object }).properties).sort()).toEqual(['handle', 'max_chars', 'room', 'since_cursor']);

    expect(cli(['room', 'send', '@ana the schema is ready'], { home, env: { MYCELIUM_AGENT_HANDLE: 'bob', MYCELIUM_ROOM: 'team' } }).code).toBe(0);
    const full = (await client.callTool({ name: 'digest', arguments: {} })) as Result;
    expect(full.isError).toBeFalsy();
    expect(full.structuredContent.mentions.unread).toBe(1);
    expect(full.structuredContent.text).toContain('the schema is ready');

    const nothing = (await client.callTool({ name: 'digest', arguments: { since_cursor: true } })) as Result;
    expect(nothing.structuredContent.text).toBe('');

    expect(cli(['room', 'send', '@ana and the migration too'], { home, env: { MYCELIUM_AGENT_HANDLE: 'cy', MYCELIUM_ROOM: 'team' } }).code).toBe(0);
    const delta = (await client.callTool({ name: 'digest', arguments: { since_cursor: true } })) as Result;
    expect(delta.structuredContent.text).toContain('and the migration too');
    expect(delta.structuredContent.text).not.toContain('the schema is ready');

    const resource = await client.readResource({ uri: 'mycelium://digest' });
    expect(resource.contents[0].text).toContain('the schema is ready');

    const bad = (await client.callTool({ name: 'digest', arguments: { max_chars: 50 } })) as Result;
    expect(bad.isError).toBe(true);
    expect(bad.content[0].text).toMatch(/^invalid_input: --max-chars takes a whole number from 200 to 10000/);
  });
});

describe('the digest over HTTP', () => {
  it('GET /rooms/ROOM/digest?handle=H answers with the same data and text, behind the token', async () => {
    const { startServe } = await import('./helpers.js');
    const home = homeWithRoom();
    cli(['room', 'send', '@ana over http'], { home, env: { MYCELIUM_AGENT_HANDLE: 'bob', MYCELIUM_ROOM: 'team' } });
    const server = await startServe(home, ['--token', 'sekrit']);
    const get = (path: string, token = 'sekrit') => fetch(server.url + path, { headers: { Authorization: `Bearer ${token}` } });
    const ok = await get('/rooms/team/digest?handle=ana');
    expect(ok.status).toBe(200);
    const body = await ok.json();
    expect(body.mentions.unread).toBe(1);
    expect(body.text).toContain('over http');
    const delta = await (await get('/rooms/team/digest?handle=ana&since_cursor=true')).json();
    expect(delta.text).toBe('');
    expect((await get('/rooms/team/digest')).status).toBe(400);
    expect((await get('/rooms/team/digest?handle=ana&max_chars=5')).status).toBe(400);
    expect((await get('/rooms/nope/digest?handle=ana')).status).toBe(404);
    expect((await get('/rooms/team/digest?handle=ana', 'wrong')).status).toBe(401);
  });
});
