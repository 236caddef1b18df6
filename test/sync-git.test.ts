import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { deleteAgainstEdit, person, sameKeyConflict, type Person } from './sync-people.js';

// No global or system git identity: commits must still work, authored by the mycelium handle.
const noIdentity = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

function git(args: string[], cwd: string): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...noIdentity } });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function bareRemote(): string {
  const dir = join(tempDir(), 'team.git');
  git(['init', '-q', '--bare', '-b', 'main', dir], '/');
  return dir;
}

/** Ana makes the room and shares it; the others clone it. */
function team(...others: string[]) {
  const remote = bareRemote();
  const ana = person('ana', noIdentity);
  expect(ana.run('room', 'create', 'team').code).toBe(0);
  ana.set('decisions/db', 'Use PostgreSQL 16');
  ana.set('context/deploy', 'blue-green');
  expect(ana.run('room', 'remote', 'team', remote).code).toBe(0);
  expect(ana.sync().code).toBe(0);
  const clones = others.map((handle) => {
    const p = person(handle, noIdentity);
    const cloned = p.run('room', 'clone', remote, '--json');
    expect(cloned.code, cloned.stderr).toBe(0);
    expect(JSON.parse(cloned.stdout)).toEqual({ room: 'team', via: 'git', source: remote });
    return p;
  });
  return { remote, ana, clones };
}

function settled(dir: string): void {
  expect(git(['status', '--porcelain'], dir)).toBe('');
  for (const marker of ['MERGE_HEAD', 'rebase-merge', 'rebase-apply']) expect(existsSync(join(dir, '.git', marker))).toBe(false);
}

describe('git sync', () => {
  it('round-trips changes by fast-forward and reports what came in and went out', () => {
    const { remote, ana, clones: [bo] } = team('bo');
    expect(bo.get('decisions/db')).toBe('Use PostgreSQL 16');

    bo.set('context/cache', 'Redis');
    bo.set('decisions/db', 'Use PostgreSQL 17');
    const pushed = JSON.parse(bo.sync().stdout);
    expect(pushed.committed.sort()).toEqual(['context/cache', 'decisions/db']);
    expect(pushed.outgoing).toEqual([
      { type: 'created', key: 'context/cache' },
      { type: 'updated', key: 'decisions/db' },
    ]);
    expect(pushed.conflicts).toEqual([]);
    const message = git(['log', '-1', '--format=%an|%s%n%b', 'main'], remote);
    expect(message).toMatch(/^bo\|mycelium sync by bo: set context\/cache, decisions\/db/);

    const pulled = ana.sync();
    expect(pulled.code).toBe(0);
    expect(JSON.parse(pulled.stdout)).toMatchObject({
      via: 'git',
      remote,
      incoming: [
        { type: 'created', key: 'context/cache' },
        { type: 'updated', key: 'decisions/db' },
      ],
      outgoing: [],
    });
    expect(ana.get('decisions/db')).toBe('Use PostgreSQL 17');
    const text = ana.run('sync', '--room', 'team');
    expect(text.stdout).toMatch(/^team <-> .*team\.git \(git\): in 0, out 0\n/);
    settled(ana.roomDir);
  });

  it('same key edited on both sides: remote stays at the key, local kept as a sibling, exit 3', () => {
    const { ana, clones: [bo] } = team('bo');
    const { sibling } = sameKeyConflict(ana, bo);
    settled(bo.roomDir);
    expect(bo.run('sync', '--room', 'team').code).toBe(0);
    // The conflict copy reached the remote: ana sees both versions too.
    expect(JSON.parse(ana.sync().stdout).incoming).toEqual([{ type: 'created', key: sibling }]);
    expect(ana.get(sibling)).toBe('bo says SQLite');
    expect(ana.get('decisions/db')).toBe('ana says MySQL');
  });

  it('prints both keys in text mode', () => {
    const { ana, clones: [bo] } = team('bo');
    ana.set('decisions/db', 'one');
    bo.set('decisions/db', 'two');
    ana.sync();
    const text = bo.run('sync', '--room', 'team');
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/conflict: decisions\/db kept the remote version; your version is at decisions\/db\.conflict-bo-[0-9a-f]{7}\n/);
  });

  it('a delete against an edit keeps the edit, whichever side syncs first', () => {
    const { ana, clones: [bo] } = team('bo');
    deleteAgainstEdit(ana, bo);
    settled(bo.roomDir);
    settled(ana.roomDir);
  });

  it('three clones syncing at once lose nothing (a push that loses the race merges and retries)', async () => {
    const { ana, clones } = team('bo', 'cy');
    const everyone = [ana, ...clones];
    everyone.forEach((p, i) => {
      for (let n = 0; n < 3; n++) p.set(`${p.handle}/note-${n}`, `note ${n} of ${p.handle}`);
      p.set('shared/plan', `plan ${i}`);
    });
    const results = await Promise.all(everyone.map((p) => p.syncAsync()));
    for (const r of results) expect([0, 3], r.stderr).toContain(r.code);
    for (const p of everyone) p.sync();
    for (const p of everyone) p.sync();
    const keys = (p: Person) => JSON.parse(p.run('memory', 'ls', '--room', 'team', '--json').stdout).memories.map((m: { key: string }) => m.key);
    const all = keys(ana);
    for (const p of everyone) {
      expect(keys(p)).toEqual(all);
      for (let n = 0; n < 3; n++) expect(all).toContain(`${p.handle}/note-${n}`);
      settled(p.roomDir);
    }
    // Every version of the plan survives: one at the key, the others as conflict copies.
    const plans = all.filter((k: string) => k.startsWith('shared/plan'));
    const values = plans.map((k: string) => ana.get(k)).sort();
    expect(values).toEqual(['plan 0', 'plan 1', 'plan 2']);
  });

  it('an offline remote is a clear error, exit 4, with the local change committed and nothing lost', () => {
    const { remote, ana } = team();
    ana.set('decisions/cache', 'Redis');
    rmSync(remote, { recursive: true, force: true });
    const synced = ana.sync();
    expect(synced.code).toBe(4);
    expect(synced.stderr).toMatch(/^mycelium: cannot reach .*team\.git \(.*\); check the address or your network and run `mycelium sync` again; local changes are committed in the room, nothing was lost\n$/);
    expect(ana.get('decisions/cache')).toBe('Redis');
    settled(ana.roomDir);
    expect(git(['log', '-1', '--format=%s'], ana.roomDir)).toMatch(/set decisions\/cache/);

    const clone = person('bo', noIdentity).run('room', 'clone', remote, 'copy');
    expect(clone.code).toBe(4);
    expect(clone.stderr).toMatch(/^mycelium: cannot clone .*; check the URL and that you can reach it\n$/);
  });

  it('refuses a room that is not shared and a clone over an existing room', () => {
    const { remote, ana } = team();
    expect(ana.run('room', 'create', 'solo').code).toBe(0);
    const unshared = ana.run('sync', '--room', 'solo');
    expect([unshared.code, unshared.stderr]).toEqual([
      2,
      "mycelium: room 'solo' is not shared; connect it with `mycelium room remote solo URL` or clone one with `mycelium room clone URL`\n",
    ]);
    const again = ana.run('room', 'clone', remote);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/room 'team' already exists; pick another name/);
  });

  it('a sync killed mid-merge is recovered by the next sync: the merge is redone, nothing is lost', () => {
    const { ana, clones: [bo] } = team('bo');
    bo.set('from/bo', 'bo was here');
    expect(bo.sync().code).toBe(0);
    ana.set('from/ana', 'ana was here');
    // What a kill -9 between `git merge` and its commit leaves: ana's change committed, the merge open.
    git(['add', '-A'], ana.roomDir);
    git(['-c', 'user.name=a', '-c', 'user.email=a@x', 'commit', '-q', '-m', 'ana local'], ana.roomDir);
    git(['fetch', '-q', 'origin'], ana.roomDir);
    git(['-c', 'user.name=a', '-c', 'user.email=a@x', 'merge', '--no-commit', '--no-ff', 'origin/main'], ana.roomDir);
    expect(existsSync(join(ana.roomDir, '.git', 'MERGE_HEAD'))).toBe(true);
    const next = ana.sync();
    expect(next.code, next.stderr).toBe(0);
    settled(ana.roomDir);
    expect(bo.sync().code).toBe(0);
    for (const p of [ana, bo]) {
      expect(p.get('from/bo')).toBe('bo was here');
      expect(p.get('from/ana')).toBe('ana was here');
    }
  });

  it('sync --all syncs every shared room; the room holds only markdown', () => {
    const { ana, clones: [bo] } = team('bo');
    bo.set('x', '1');
    bo.sync();
    const all = ana.run('sync', '--all', '--json');
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout).rooms.map((r: { room: string }) => r.room)).toEqual(['team']);
    expect(git(['ls-files'], ana.roomDir).split('\n').filter(Boolean).sort()).toEqual(['context/deploy.md', 'decisions/db.md', 'x.md']);
    expect(readFileSync(join(ana.roomDir, '.git', 'info', 'attributes'), 'utf8')).toContain('*.md -merge');
  });
});
