import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './daemon-helpers.js';
import { cli, cliPath, homeWithRoom, startServe } from './helpers.js';

const TOKEN = 'synth-token';

async function call(url: string, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${TOKEN}`);
  if (init.body) headers.set('Content-Type', 'application/json');
  const response = await fetch(url + path, { ...init, headers });
  return { status: response.status, body: (await response.json()) as any };
}

function syntheses(home: string): string[] {
  const dir = join(home, 'rooms', 'team', 'synthesis');
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d{4}-/.test(f)) : [];
}

describe('synthesis over HTTP', () => {
  it('synthesize, catchup and the trigger routes; HTTP writes reach the trigger through the daemon', async () => {
    const home = homeWithRoom();
    const { url } = await startServe(home, ['--token', TOKEN], { MYCELIUM_OFFLINE: '1' });
    const put = (key: string, value: string) =>
      call(url, `/rooms/team/memory/${key}`, { method: 'PUT', body: JSON.stringify({ value }), headers: { 'X-Mycelium-Handle': 'web-agent' } });
    expect((await put('decisions/db', 'Use SQLite')).status).toBeLessThan(300);

    const noLlm = await call(url, '/rooms/team/synthesize', { method: 'POST', body: JSON.stringify({ llm: true }) });
    expect(noLlm).toMatchObject({ status: 400, body: { error: 'llm_not_configured' } });
    expect((await call(url, '/rooms/team/synthesize', { method: 'POST', body: JSON.stringify({ llm: 'yes' }) })).status).toBe(400);
    const made = await call(url, '/rooms/team/synthesize', { method: 'POST', body: JSON.stringify({}) });
    expect(made).toMatchObject({ status: 201, body: { room: 'team', written: true, memory_count: 1, method: 'digest' } });

    await put('work/a', 'A');
    const view = await call(url, '/rooms/team/catchup?limit=5');
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ count: 1, contributors: ['web-agent'], synthesis: { key: made.body.key } });
    expect((await call(url, '/rooms/team/catchup?limit=zero')).status).toBe(400);
    expect((await call(url, '/rooms/nowhere/catchup')).status).toBe(404);

    expect((await call(url, '/rooms/team/trigger', { method: 'PUT', body: JSON.stringify({ trigger: 'sometimes' }) })).status).toBe(400);
    expect((await call(url, '/rooms/team/trigger', { method: 'PUT', body: JSON.stringify({ trigger: 'threshold:2' }) })).body).toEqual({ room: 'team', trigger: 'threshold:2' });
    expect((await call(url, '/rooms/team/trigger')).body).toEqual({ room: 'team', trigger: 'threshold:2', pending: 1 });
    await put('work/b', 'B');
    await waitFor(() => syntheses(home).length === 2, 30_000, 'the trigger to synthesize');
    expect((await call(url, '/rooms/team/trigger', { method: 'DELETE' })).body).toEqual({ room: 'team', cleared: true });
    expect((await call(url, '/rooms/team/trigger')).body.trigger).toBeNull();
  });
});

const clients: Client[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()!.close();
});

async function connect(home: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, 'mcp', '--room', 'team'],
    env: { MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'mcp-agent' },
    cwd: home,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'synthesis-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function tool(client: Client, name: string, args: Record<string, unknown>) {
  const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { text: string }[] };
  return { isError: Boolean(result.isError), text: result.content[0].text, json: result.isError ? undefined : JSON.parse(result.content[0].text) };
}

describe('synthesis over MCP', () => {
  it('room_synthesize, room_catchup, room_trigger; MCP writes run the trigger without a daemon', async () => {
    const home = homeWithRoom();
    const client = await connect(home);
    expect((await tool(client, 'room_trigger', { action: 'set', trigger: 'threshold:x' })).text).toContain('invalid_input');
    expect((await tool(client, 'room_trigger', { action: 'set', trigger: 'threshold:2' })).json).toEqual({ room: 'team', trigger: 'threshold:2' });
    await tool(client, 'memory_set', { key: 'work/one', value: 'one' });
    expect((await tool(client, 'room_trigger', { action: 'show' })).json).toEqual({ room: 'team', trigger: 'threshold:2', pending: 1 });
    await tool(client, 'memory_set', { key: 'work/two', value: 'two' });
    await waitFor(() => syntheses(home).length === 1 && existsSync(join(home, 'rooms', 'team', 'context', 'synthesis.md')), 30_000, 'the MCP-side trigger');

    const view = await tool(client, 'room_catchup', { limit: 3 });
    expect(view.json).toMatchObject({ count: 0, synthesis: { memory_count: 2, by: 'mycelium' } });
    expect((await tool(client, 'room_synthesize', { llm: true })).text).toContain('llm_not_configured');
    await tool(client, 'memory_set', { key: 'status/now', value: 'green' });
    expect((await tool(client, 'room_synthesize', { llm: false })).json).toMatchObject({ written: true, memory_count: 1, method: 'digest' });
    expect((await tool(client, 'room_trigger', { action: 'clear' })).json).toEqual({ room: 'team', cleared: true });
    expect(cli(['room', 'trigger', 'show', '--room', 'team'], { home }).stdout).toContain('no trigger');
  });
});
