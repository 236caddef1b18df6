import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, tempDir, isolatedEnv } from './helpers.js';

const as = (handle: string) => ['--room', 'team', '--handle', handle];

describe('claims (CLI)', () => {
  it('claim, renew, handoff and release: exit 3 for someone else’s claim or a stale epoch; bad TTLs exit 2', () => {
    const home = homeWithRoom();
    const granted = JSON.parse(cli(['claim', 'src/a', '--ttl', '10m', ...as('ana'), '--json'], { home }).stdout).claim;
    expect(granted).toMatchObject({ holder: 'ana', paths: ['src/a'], ttl: 600 });
    for (const ttl of ['0', '-5m', 'abc']) {
      const bad = cli(['claim', 'docs', '--ttl', ttl, ...as('ana')], { home });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('is not a positive duration');
    }
    const taken = cli(['release', granted.id, ...as('bob')], { home });
    expect(taken.code).toBe(3);
    expect(taken.stderr).toContain('held by @ana');
    const stale = cli(['release', granted.id, '--epoch', String(granted.epoch + 5), ...as('ana')], { home });
    expect(stale.code).toBe(3);
    expect(stale.stderr).toContain(`at epoch ${granted.epoch}`);
    const early = cli(['claim', 'renew', granted.id, ...as('ana')], { home });
    expect(early.code).toBe(0);
    expect(early.stderr).toContain('not yet half through');
    const handed = cli(['claim', 'handoff', granted.id, 'bob', '--epoch', String(granted.epoch), ...as('ana'), '--json'], { home });
    expect(JSON.parse(handed.stdout)).toMatchObject({ holder: 'bob' });
    expect(cli(['claims', '--mine', ...as('bob')], { home }).stdout).toContain(granted.id);
    expect(cli(['release', 'c-nope0000', ...as('bob')], { home }).code).toBe(1);
    expect(cli(['release', granted.id, ...as('bob')], { home }).stdout).toContain(`released ${granted.id}`);
    expect(JSON.parse(cli(['claims', ...as('bob'), '--json'], { home }).stdout)).toEqual([]);
  });

  it('600 paths and a 5,000-character path are widened with a warning, never refused', () => {
    const home = homeWithRoom();
    const many = cli(['claim', ...Array.from({ length: 600 }, (_, i) => `f${i}`), ...as('ana'), '--json'], { home });
    expect(many.code).toBe(0);
    expect(many.stderr).toContain('600 paths');
    expect(JSON.parse(many.stdout).claim.paths).toEqual(['.']);
    const home2 = homeWithRoom();
    const long = cli(['claim', `src/${'x'.repeat(5000)}`, ...as('ana'), '--json'], { home: home2 });
    expect(long.code).toBe(0);
    expect(long.stderr).toContain('5004-character path');
    expect(JSON.parse(long.stdout).claim.paths).toEqual(['src']);
  });

  it('a nonsense claim file is ignored with a warning', () => {
    const home = homeWithRoom();
    mkdirSync(join(home, 'rooms', 'team', 'claims'), { recursive: true });
    writeFileSync(join(home, 'rooms', 'team', 'claims', 'c-abcdef12.md'), '---\nholder: 7\n---\n');
    const listed = cli(['claims', ...as('ana')], { home });
    expect(listed.code).toBe(0);
    expect(listed.stderr).toContain('not a readable claim');
  });

  it('git hooks: pre-commit refuses a commit touching a path someone else holds; post-commit releases mine', () => {
    const home = homeWithRoom();
    const repo = tempDir();
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
    git('init', '-q');
    git('config', 'user.email', 't@example.com');
    git('config', 'user.name', 'T');
    mkdirSync(join(repo, 'src'));
    writeFileSync(join(repo, 'src', 'a.ts'), 'a\n');
    writeFileSync(join(repo, 'README'), 'r\n');
    expect(cli(['claim', 'git-hook', 'install', ...as('ana')], { home, cwd: repo }).code).toBe(0);
    expect(readFileSync(join(repo, '.git', 'hooks', 'pre-commit'), 'utf8')).toContain('claims check --diff');
    expect(cli(['claim', 'git-hook', 'install', ...as('ana')], { home, cwd: repo }).stdout).toContain('already installed');
    expect(cli(['claim', 'src', ...as('bob')], { home }).code).toBe(0);
    git('add', '-A');
    const env = isolatedEnv(home);
    const refused = spawnSync('git', ['commit', '-qm', 'x'], { cwd: repo, env, encoding: 'utf8' });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('claimed by @bob');
    const check = cli(['claims', 'check', '--diff', ...as('ana')], { home, cwd: repo });
    expect(check.code).toBe(3);
    expect(cli(['release', '--all', ...as('bob')], { home }).code).toBe(0);
    const mine = JSON.parse(cli(['claim', 'src/a.ts', ...as('ana'), '--json'], { home }).stdout).claim;
    const other = JSON.parse(cli(['claim', 'docs', ...as('ana'), '--json'], { home }).stdout).claim;
    const ok = spawnSync('git', ['commit', '-qm', 'x'], { cwd: repo, env, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    const left = JSON.parse(cli(['claims', '--mine', ...as('ana'), '--json'], { home }).stdout).map((c: { id: string }) => c.id);
    expect(left).toEqual([other.id]);
    expect(left).not.toContain(mine.id);
  });
});
