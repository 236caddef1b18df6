import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, cliPath, homeWithRoom, startServe } from './helpers.js';

const clients: Client[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()!.close();
});

async function post(url: string, handle: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mycelium-handle': handle }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function get(url: string, handle: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { headers: { 'x-mycelium-handle': handle } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('negotiation over HTTP (mycelium serve)', () => {
  it('join, await, propose, respond and status work for agents on other machines; errors are agent lines', async () => {
    const home = homeWithRoom();
    const server = await startServe(home);
    const base = `${server.url}/rooms/team`;
    const open = await post(`${base}/negotiate/open`, 'lead', { issues: { api: ['rest', 'graphql'], db: ['postgres', 'sqlite'] }, participants: ['ana', 'bob'] });
    expect(open.status, JSON.stringify(open.json)).toBe(200);
    const invented = await post(`${base}/session/join`, 'ana', { prefer: { cache: ['redis', 'none'] } });
    expect(invented.status).toBe(400);
    expect(invented.json).toMatchObject({ type: 'error', error: 'invalid_key', valid_keys: ['api', 'db'] });
    expect((await post(`${base}/session/join`, 'ana', { message: 'rest', prefer: { api: ['rest', 'graphql'] } })).status).toBe(200);
    expect((await post(`${base}/session/join`, 'bob', { prefer: ['api=graphql>rest'], limit: { db: ['sqlite'] } })).status).toBe(200);
    const tick = await get(`${base}/session/await?timeout=20`, 'ana');
    expect(tick.json).toMatchObject({ type: 'tick', round: 1, proposer_id: 'ana', can_counter_offer: true });
    const outOfTurn = await post(`${base}/negotiate/propose`, 'bob', { offer: { api: 'graphql' } });
    expect(outOfTurn.status).toBe(400);
    expect(outOfTurn.json).toMatchObject({ error: 'not_your_turn' });
    expect((await post(`${base}/negotiate/propose`, 'ana', { offer: { API: 'REST' } })).json).toMatchObject({ offer: { api: 'rest', db: 'postgres' } });
    expect((await post(`${base}/negotiate/respond`, 'bob', { answer: 'reject' })).status).toBe(200);
    const status = await get(`${base}/negotiate/status`, 'bob');
    expect(status.json).toMatchObject({ state: 'active', round: 2, proposer_id: 'bob' });
    expect((await post(`${base}/negotiate/respond`, 'bob', { answer: 'accept' })).status).toBe(200);
    expect((await post(`${base}/negotiate/respond`, 'ana', { answer: 'accept' })).status).toBe(200);
    const done = await get(`${base}/session/await?timeout=20`, 'bob');
    expect(done.json).toMatchObject({ type: 'consensus', broken: false, plan: ['api: rest', 'db: postgres'], plan_file: 'plan/tasks.md' });
    expect(readFileSync(join(home, 'rooms', 'team', 'plan', 'tasks.md'), 'utf8')).toMatch(/- \[ \] api: rest @ana/);
    const again = await post(`${base}/negotiate/respond`, 'bob', { answer: 'accept' });
    expect(again.status).toBe(404);
  });
});

describe('negotiation over MCP', () => {
  it('session_join, negotiate_open, session_await, negotiate_respond and negotiate_status drive a session to consensus', async () => {
    const home = homeWithRoom();
    const transport = new StdioClientTransport({ command: process.execPath, args: [cliPath, 'mcp', '--room', 'team'], env: { MYCELIUM_HOME: home }, cwd: home, stderr: 'pipe' });
    const client = new Client({ name: 'negotiation-test', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    const call = async (name: string, args: Record<string, unknown>) =>
      (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { text: string }[]; structuredContent?: Record<string, unknown> };
    expect((await call('negotiate_open', { handle: 'lead', issues: ['api=rest,graphql'], participants: ['ana', 'bob'] })).isError).toBeFalsy();
    expect((await call('session_join', { handle: 'ana', prefer: { api: ['graphql', 'rest'] } })).isError).toBeFalsy();
    // A second agent joins from the CLI: the faces share the files.
    expect(cli(['session', 'join', '--room', 'team', '--handle', 'bob', '--prefer', 'api=graphql>rest'], { home }).code).toBe(0);
    const tick = await call('session_await', { handle: 'ana', timeout: 20 });
    expect(tick.structuredContent).toMatchObject({ type: 'tick', current_offer: { api: 'graphql' } });
    const bad = await call('negotiate_propose', { handle: 'bob', offer: { api: 'graphql' } });
    expect(bad.isError).toBe(true);
    expect(bad.content[0].text).toMatch(/^not_your_turn: /);
    await call('negotiate_respond', { handle: 'ana', answer: 'accept' });
    expect(cli(['negotiate', 'respond', '--room', 'team', '--handle', 'bob', 'accept'], { home }).code).toBe(0);
    expect((await call('session_await', { handle: 'ana', timeout: 20 })).structuredContent).toMatchObject({ type: 'consensus', plan: ['api: graphql'], broken: false });
    expect((await call('negotiate_status', { handle: 'ana' })).structuredContent).toMatchObject({ state: 'concluded', broken: false });
  });
});
