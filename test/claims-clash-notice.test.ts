import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, startServe, tempDir } from './helpers.js';
import { person, type Person } from './sync-people.js';

// The loser of a clash found after a sync is told by a message, once, so `mycelium await` wakes it (issue 13).
const noIdentity = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const notices = (p: Person) =>
  (JSON.parse(p.run('room', 'messages', '--from', 'mycelium', '--room', 'team', '--json').stdout) as { to: string[]; ref: string; text: string }[]);
const synced = (p: Person) => {
  const r = p.sync();
  expect(r.code, r.stderr + r.stdout).toBe(0);
};
/** The clash notices on the remote's main branch. */
const noticeFiles = (remote: string) =>
  spawnSync('git', ['--git-dir', remote, 'ls-tree', '-r', '--name-only', 'main'], { encoding: 'utf8' }).stdout.split('\n').filter((f) => /^messages\/.*-mycelium-/.test(f));
const awaitOne = (p: Person, seconds: number) => p.run('await', '--timeout', String(seconds), '--room', 'team');

describe('clash notices', () => {
  it('git: two homes claim the same files apart; after sync the later claimant gets one message, await wakes it, no home tells it twice', () => {
    const remote = join(tempDir(), 'team.git');
    spawnSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
    const ana = person('ana', noIdentity);
    expect(ana.run('room', 'create', 'team').code).toBe(0);
    expect(ana.run('room', 'remote', 'team', remote).code).toBe(0);
    synced(ana);
    const bo = person('bo', noIdentity);
    const cy = person('cy', noIdentity);
    for (const p of [bo, cy]) expect(p.run('room', 'clone', remote).code).toBe(0);
    const first = JSON.parse(ana.run('claim', 'src/db', '--room', 'team', '--json').stdout).claim;
    spawnSync('sleep', ['0.02']);
    const later = JSON.parse(bo.run('claim', 'src/db/schema.ts', '--room', 'team', '--json').stdout).claim;
    expect(bo.run('inbox', '--peek', '--room', 'team', '--json').stdout.trim()).toBe('[]');
    synced(ana);
    synced(bo);
    // bo's merge brought the two claims together: bo's push carried the notice with bo's claim.
    expect(noticeFiles(remote)).toHaveLength(1);
    for (const p of [cy, ana, bo, cy]) synced(p);
    expect(noticeFiles(remote)).toHaveLength(1);

    for (const p of [ana, bo, cy]) {
      const told = notices(p);
      expect(told, p.handle).toHaveLength(1);
      expect(told[0]).toMatchObject({ to: ['bo'], ref: `claims/${later.id}` });
      expect(told[0].text).toContain(`ana's claim ${first.id}`);
    }
    // `claims` in any home finds the clash again and does not tell it again.
    for (const p of [ana, cy]) expect(p.run('claims', '--room', 'team').stdout).toContain(`CLASH: lost to ${first.id} @ana`);
    expect(notices(cy)).toHaveLength(1);

    const woke = awaitOne(bo, 5);
    expect(woke.code, woke.stderr).toBe(0);
    expect(woke.stdout).toContain(`Your claim ${later.id}`);
    expect(awaitOne(bo, 1).code).toBe(1); // told once: nothing more to wake for
    expect(awaitOne(ana, 1).code).toBe(1); // the winner is not told
  });

  it('git: a push refused after the notice was committed still tells once: the retry drops it and decides again', () => {
    const remote = join(tempDir(), 'team.git');
    spawnSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
    const ana = person('ana', noIdentity);
    expect(ana.run('room', 'create', 'team').code).toBe(0);
    expect(ana.run('room', 'remote', 'team', remote).code).toBe(0);
    synced(ana);
    const bo = person('bo', noIdentity);
    expect(bo.run('room', 'clone', remote).code).toBe(0);
    const first = JSON.parse(ana.run('claim', 'src', '--room', 'team', '--json').stdout).claim;
    synced(ana);
    const later = JSON.parse(bo.run('claim', 'src/api', '--room', 'team', '--json').stdout).claim;
    // The remote refuses the next push once, as when another home pushed first.
    const flag = join(remote, 'refuse-once');
    writeFileSync(flag, '');
    writeFileSync(join(remote, 'hooks', 'pre-receive'), `#!/bin/sh\nif [ -f '${flag}' ]; then rm '${flag}'; echo 'rejected once' >&2; exit 1; fi\n`, { mode: 0o755 });
    synced(bo);
    expect(existsSync(flag)).toBe(false); // the first push was refused
    expect(noticeFiles(remote)).toHaveLength(1);
    const inTree = readdirSync(join(bo.roomDir, 'messages'), { recursive: true }).filter((f) => String(f).includes('-mycelium-'));
    expect(inTree).toHaveLength(1); // the dropped notice left no file behind
    for (const p of [ana, bo]) synced(p);
    for (const p of [ana, bo]) {
      const told = notices(p);
      expect(told, p.handle).toHaveLength(1);
      expect(told[0]).toMatchObject({ to: ['bo'], ref: `claims/${later.id}` });
      expect(told[0].text).toContain(`ana's claim ${first.id}`);
    }
  });

  it('HTTP: two homes claim the same plan task offline; the merge tells the later claimant once, and await wakes it', async () => {
    const home = homeWithRoom();
    const id = cli(['plan', 'task', 'add', 'contested', '--room', 'team', '--handle', 'srv'], { home }).stdout.trim();
    const srv = await startServe(home);
    const ana = person('ana');
    const bo = person('bo');
    const cy = person('cy');
    for (const p of [ana, bo, cy]) expect(p.run('room', 'clone', `${srv.url}/rooms/team`).code).toBe(0);
    expect(ana.run('plan', 'task', 'claim', id, '--room', 'team').code).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(bo.run('plan', 'task', 'claim', id, '--room', 'team').code).toBe(0);
    for (const p of [ana, bo, cy, ana, bo, cy]) synced(p);

    for (const p of [ana, bo, cy]) {
      expect(p.run('plan', 'show', '--room', 'team').stdout).toContain(`@bo's claim of ${id} lost to @ana's earlier claim`);
      const told = notices(p);
      expect(told, p.handle).toHaveLength(1);
      expect(told[0]).toMatchObject({ to: ['bo'], ref: `plan/tasks#${id}@bo` });
    }
    const woke = awaitOne(bo, 5);
    expect(woke.code, woke.stderr).toBe(0);
    expect(woke.stdout).toContain(`Your claim of task ${id} lost to ana`);
    expect(awaitOne(bo, 1).code).toBe(1);
  });
});
