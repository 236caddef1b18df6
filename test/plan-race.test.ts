import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Room } from '../src/room.js';
import { readPlan } from '../src/coord/plan/store.js';
import { cli, cliAsync, homeWithRoom, repoRoot } from './helpers.js';

const worker = join(repoRoot, 'test', 'workers', 'plan-worker.mjs');

function run(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => resolve(code ?? -1));
  });
}

describe('plan and claims under real concurrent processes', () => {
  it('8 processes each adding 50 tasks at once: 400 tasks, none lost, all ids distinct', async () => {
    const home = homeWithRoom();
    const codes = await Promise.all(Array.from({ length: 8 }, (_, p) => run([home, 'team', `w${p}`, 'add', '50'])));
    expect(codes).toEqual(Array(8).fill(0));
    const plan = await readPlan(await Room.open(home, 'team'));
    expect(plan.tasks).toHaveLength(400);
    expect(new Set(plan.tasks.map((t) => t.id)).size).toBe(400);
    for (let p = 0; p < 8; p++) expect(plan.tasks.filter((t) => t.text.endsWith(`from w${p}`))).toHaveLength(50);
    expect(plan.warnings).toEqual([]);
  });

  it('8 processes racing to claim one task: exactly one wins, the others are told who holds it', async () => {
    const home = homeWithRoom();
    const id = cli(['plan', 'task', 'add', 'the one task', '--room', 'team', '--handle', 'ana'], { home }).stdout.trim();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => cliAsync(['plan', 'task', 'claim', id, '--room', 'team', '--handle', `r${i}`], { home })));
    const winners = results.filter((r) => r.code === 0);
    expect(winners).toHaveLength(1);
    const owner = (await readPlan(await Room.open(home, 'team'))).tasks[0].owner!;
    for (const r of results.filter((x) => x.code !== 0)) {
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`claimed by @${owner}`);
    }
  });

  it('8 processes racing for overlapping paths: exactly one claim is granted, the others name the holder', async () => {
    const home = homeWithRoom();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => cliAsync(['claim', i % 2 ? 'src' : 'src/shared.ts', '--room', 'team', '--handle', `r${i}`, '--json'], { home })),
    );
    const winners = results.filter((r) => r.code === 0);
    expect(winners).toHaveLength(1);
    const granted = JSON.parse(winners[0].stdout).claim;
    for (const r of results.filter((x) => x.code !== 0)) {
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`claim ${granted.id} held by @${granted.holder}`);
    }
    const listed = JSON.parse(cli(['claims', '--room', 'team', '--json'], { home }).stdout);
    expect(listed).toHaveLength(1);
  });

  it('a holder killed with kill -9: its claim expires on time and the next claimant gets its checkpoint', async () => {
    const home = homeWithRoom();
    const child = spawn(process.execPath, [worker, home, 'team', 'ana', 'hold', 'src/db', 't-abcd', 'migrated 3 of 7 tables'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const held = await new Promise<{ id: string; expires_at: string }>((resolve) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const early = cli(['claim', 'src/db/schema.sql', '--task', 't-abcd', '--room', 'team', '--handle', 'bob'], { home });
    if (Date.now() < Date.parse(held.expires_at)) {
      expect(early.code).toBe(3);
      expect(early.stderr).toContain(`held by @ana`);
    }
    // Wait for the expiry (TTL 30 s), then the next claimant gets the lease and the checkpoint.
    while (Date.now() <= Date.parse(held.expires_at) + 200) await new Promise((r) => setTimeout(r, 500));
    const next = cli(['claim', 'src/db/schema.sql', '--task', 't-abcd', '--room', 'team', '--handle', 'bob', '--json'], { home });
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ inherited_checkpoint: 'migrated 3 of 7 tables', claim: { holder: 'bob', checkpoint: 'migrated 3 of 7 tables' } });
  });
});
