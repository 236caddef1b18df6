import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, cliPath, homeWithRoom } from './helpers.js';

const as = (handle: string) => ['--room', 'team', '--handle', handle];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `plan tasks` until the task shows `status` (the stall window is a clock, so wait for it, never time it). */
async function waitForStatus(home: string, id: string, status: string, extra: string[], env?: Record<string, string>): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const listed = cli(['plan', 'tasks', '--json', ...extra, ...as('cy')], { home, env });
    const task = (JSON.parse(listed.stdout) as { id: string; status: string }[]).find((t) => t.id === id);
    if (task?.status === status) return status;
    await sleep(500);
  }
  throw new Error(`task ${id} never became ${status}`);
}

const clients: Client[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()!.close();
});

describe('the stall window (CLI)', () => {
  it('--stall and MYCELIUM_PLAN_STALL set it; the default 30 minutes keeps the task claimed; ready --claim takes a stalled task over', async () => {
    const home = homeWithRoom();
    const id = cli(['plan', 'task', 'add', 'Write the migration', ...as('ana')], { home }).stdout.trim();
    expect(cli(['plan', 'task', 'claim', id, ...as('bob')], { home }).code).toBe(0);
    await waitForStatus(home, id, 'stalled', ['--stall', '1s']);
    // The same moment, under the default window and a long one: still bob's.
    const byDefault = JSON.parse(cli(['plan', 'tasks', '--json', ...as('cy')], { home }).stdout) as { id: string; status: string }[];
    expect(byDefault.find((t) => t.id === id)!.status).toBe('claimed');
    expect(await waitForStatus(home, id, 'stalled', [], { MYCELIUM_PLAN_STALL: '1s' })).toBe('stalled');
    const flagBeatsEnv = JSON.parse(cli(['plan', 'tasks', '--json', '--stall', '2h', ...as('cy')], { home, env: { MYCELIUM_PLAN_STALL: '1s' } }).stdout);
    expect(flagBeatsEnv.find((t: { id: string }) => t.id === id).status).toBe('claimed');
    expect(cli(['plan', 'ready', ...as('cy')], { home }).stderr).toContain('nothing is ready');
    const taken = cli(['plan', 'ready', '--claim', '--stall', '1s', ...as('cy')], { home });
    expect(taken.code).toBe(0);
    expect(taken.stderr).toContain(`took ${id} over from @bob`);
    expect(taken.stdout).toMatch(new RegExp(`${id}\\s+claimed\\s+@cy`));
  });

  it('a stall window that is no duration, 0, or over 30 days exits 2 saying what to write', () => {
    const home = homeWithRoom();
    const id = cli(['plan', 'task', 'add', 'A task', ...as('ana')], { home }).stdout.trim();
    for (const bad of ['abc', '0', '-5m', '31d']) {
      const r = cli(['plan', 'tasks', '--stall', bad, ...as('ana')], { home });
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain('is not a duration from 1s to 30d');
    }
    expect(cli(['plan', 'task', 'claim', id, '--stall', 'abc', ...as('bob')], { home }).code).toBe(2);
    expect(cli(['plan', 'tasks', ...as('ana')], { home, env: { MYCELIUM_PLAN_STALL: 'soon' } }).code).toBe(2);
    expect(cli(['plan', 'tasks', '--stall', '90s', ...as('ana')], { home }).code).toBe(0);
  });
});

describe('MCP: claim_renew, claim_handoff and the stall argument', () => {
  it('renews (only after half the TTL unless ttl or checkpoint is given), refuses a stale epoch, hands off, and plan_tasks takes stall', async () => {
    const home = homeWithRoom();
    const transport = new StdioClientTransport({ command: process.execPath, args: [cliPath, 'mcp', '--room', 'team'], env: { MYCELIUM_HOME: home }, cwd: home, stderr: 'pipe' });
    const client = new Client({ name: 'stall-test', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as any;
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['claim_renew', 'claim_handoff']));

    const granted = (await call('claim', { paths: ['src/db'], handle: 'bob' })).structuredContent.claim;
    const early = (await call('claim_renew', { id: granted.id, handle: 'bob' })).structuredContent;
    expect(early).toMatchObject({ renewed: false, claim: { epoch: granted.epoch } });
    const renewed = (await call('claim_renew', { id: granted.id, ttl: '2h', checkpoint: 'schema drafted', handle: 'bob' })).structuredContent;
    expect(renewed.renewed).toBe(true);
    expect(renewed.claim.epoch).toBeGreaterThan(granted.epoch);
    expect(renewed.claim).toMatchObject({ ttl: 7200, checkpoint: 'schema drafted' });
    const stale = await call('claim_renew', { id: granted.id, epoch: granted.epoch, ttl: '1h', handle: 'bob' });
    expect(stale.isError).toBe(true);
    expect(stale.content[0].text).toMatch(/^stale_epoch: /);
    const notMine = await call('claim_handoff', { id: granted.id, to: 'eve', handle: 'cy' });
    expect(notMine.content[0].text).toMatch(/^claim_not_yours: .*held by @bob/);
    const given = (await call('claim_handoff', { id: granted.id, to: 'cy', epoch: renewed.claim.epoch, handle: 'bob' })).structuredContent.claim;
    expect(given.holder).toBe('cy');
    expect(given.epoch).toBeGreaterThan(renewed.claim.epoch);
    const clash = await call('claim', { paths: ['src'], handle: 'bob' });
    expect(clash.content[0].text).toMatch(/^claim_conflict: .*held by @cy/);

    const id = (await call('plan_task_add', { text: 'Wire it', handle: 'ana' })).structuredContent.id;
    await call('plan_task_claim', { id, handle: 'bob' });
    let status = '';
    for (let i = 0; i < 60 && status !== 'stalled'; i++) {
      await sleep(500);
      status = (await call('plan_tasks', { stall: '1s' })).structuredContent.tasks.find((t: { id: string }) => t.id === id).status;
    }
    expect(status).toBe('stalled');
    expect((await call('plan_tasks', {})).structuredContent.tasks.find((t: { id: string }) => t.id === id).status).toBe('claimed');
    const bad = await call('plan_tasks', { stall: 'abc' });
    expect(bad.isError).toBe(true);
    expect((await call('plan_ready', { claim: true, stall: '1s', handle: 'cy' })).structuredContent).toMatchObject({ took_over: 'bob', task: { id, owner: 'cy' } });
  });
});
