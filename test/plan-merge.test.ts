import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeMemoryFile } from '../src/codec.js';
import { mergePlanFiles } from '../src/coord/plan/merge.js';
import { cli, homeWithRoom, startServe, tempDir } from './helpers.js';
import { person, type Person } from './sync-people.js';

const file = (body: string, meta: Record<string, unknown> = {}) =>
  serializeMemoryFile({ key: 'plan/tasks', version: 1, updated_at: '2026-01-01T10:00:00.000Z', updated_by: 'x', ...meta }, body);

describe('plan merge (task by task)', () => {
  const base = file('# Plan\n\nIntro.\n- [ ] a (t-aaaa)\n- [ ] b (t-bbbb)\n');

  it('unites tasks by id, done beats open, needs unite, prose keeps its place', () => {
    const ours = file('# Plan\n\nIntro.\n- [x] a (t-aaaa) done:@ana\n- [ ] b (t-bbbb) needs:t-aaaa\n- [ ] ours new (t-cccc)\n', { updated_at: '2026-01-01T11:00:00.000Z' });
    const theirs = file('# Plan\n\nIntro.\nTheir note.\n- [ ] a (t-aaaa)\n- [ ] theirs new (t-dddd)\n- [ ] b (t-bbbb)\n', { updated_at: '2026-01-01T12:00:00.000Z' });
    const merged = mergePlanFiles(base, ours, theirs)!;
    const body = merged.split('---\n').slice(2).join('---\n');
    expect(body).toBe('# Plan\n\nIntro.\nTheir note.\n- [x] a (t-aaaa) done:@ana\n- [ ] theirs new (t-dddd)\n- [ ] b (t-bbbb) needs:t-aaaa\n- [ ] ours new (t-cccc)\n');
    expect(merged).toMatch(/version: 2/);
  });

  it('two claims: the earliest wins and the other claimant is told in a note; both-sided text edits keep the later one', () => {
    const ours = file('# Plan\n\nIntro.\n- [ ] a ours @ana (t-aaaa)\n- [ ] b (t-bbbb)\n', { updated_at: '2026-01-01T11:00:00.000Z', claimed_at: { 't-aaaa': '2026-01-01T10:30:00.000Z' } });
    const theirs = file('# Plan\n\nIntro.\n- [ ] a theirs @bob (t-aaaa)\n- [ ] b (t-bbbb)\n', { updated_at: '2026-01-01T12:00:00.000Z', claimed_at: { 't-aaaa': '2026-01-01T10:20:00.000Z' } });
    const merged = mergePlanFiles(base, ours, theirs)!;
    expect(merged).toContain('- [ ] a theirs @bob (t-aaaa)\n');
    expect(merged).toContain(`  > merge: t-aaaa was also edited to "a ours"; the later edit was kept\n`);
    expect(merged).toContain(`  > merge: @ana's claim of t-aaaa lost to @bob's earlier claim\n`);
    expect(merged).toMatch(/t-aaaa: '?2026-01-01T10:20:00.000Z/);
    // Merging the result again with either side changes no task and adds no second note.
    const again = mergePlanFiles(base, merged, theirs)!;
    expect(again.match(/> merge: @ana/g)).toHaveLength(1);
  });

  it('a side that cannot be read as a plan is left to the usual keep-both', () => {
    expect(mergePlanFiles(undefined, '---\nkey: [\n---\nx', file('- [ ] a (t-aaaa)\n'))).toBeUndefined();
  });
});

const noIdentity = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const plan = (p: Person) => JSON.parse(p.run('plan', 'tasks', '--all', '--room', 'team', '--json').stdout) as { id: string; text: string; state: string; owner: string | null }[];
const add = (p: Person, text: string) => {
  const r = p.run('plan', 'task', 'add', text, '--room', 'team');
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
};

describe('plan sync across homes', () => {
  it('git: three homes add and finish tasks concurrently; every home ends with every task, no conflict copy', () => {
    const remote = join(tempDir(), 'team.git');
    spawnSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
    const ana = person('ana', noIdentity);
    expect(ana.run('room', 'create', 'team').code).toBe(0);
    const first = add(ana, 'shared first task');
    expect(ana.run('room', 'remote', 'team', remote).code).toBe(0);
    expect(ana.sync().code).toBe(0);
    const bo = person('bo', noIdentity);
    const cy = person('cy', noIdentity);
    for (const p of [bo, cy]) expect(p.run('room', 'clone', remote).code).toBe(0);
    add(ana, 'from ana');
    add(bo, 'from bo');
    add(cy, 'from cy');
    expect(bo.run('plan', 'task', 'done', first, '--room', 'team').code).toBe(0);
    for (const p of [ana, bo, cy, ana, bo]) {
      const synced = p.sync();
      expect(synced.code, synced.stderr + synced.stdout).toBe(0);
      expect(JSON.parse(synced.stdout).conflicts).toEqual([]);
    }
    for (const p of [ana, bo, cy]) {
      const tasks = plan(p);
      expect(tasks.map((t) => t.text).sort()).toEqual(['from ana', 'from bo', 'from cy', 'shared first task']);
      expect(tasks.find((t) => t.id === first)!.state).toBe('done');
      expect(p.run('memory', 'ls', 'plan/', '--room', 'team', '--json').stdout).not.toContain('conflict');
    }
  });

  it('HTTP: three homes; two claim the same task offline; after sync the earlier claim wins everywhere and the other is told', async () => {
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
    add(bo, 'bo adds one');
    add(cy, 'cy adds one');
    for (const p of [ana, bo, cy, ana, bo]) {
      const synced = p.sync();
      expect(synced.code, synced.stderr + synced.stdout).toBe(0);
    }
    for (const p of [ana, bo, cy]) {
      const tasks = plan(p);
      expect(tasks.find((t) => t.id === id)!.owner).toBe('ana');
      expect(tasks.map((t) => t.text).sort()).toEqual(['bo adds one', 'contested', 'cy adds one']);
      expect(p.run('plan', 'show', '--room', 'team').stdout).toContain(`@bo's claim of ${id} lost to @ana's earlier claim`);
    }
  });
});
