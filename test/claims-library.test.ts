import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClaimConflictError, ClaimNotFoundError, ClaimNotYoursError, InvalidTtlError, StaleEpochError } from '../src/errors.js';
import { Room } from '../src/room.js';
import { normalizeClaimPaths, parseTtl, pathsOverlap, scopeOverlap } from '../src/coord/claims/scope.js';
import { checkScope, grantClaim, handoffClaim, listClaims, releaseAll, releaseClaim, renewClaim } from '../src/coord/claims/store.js';
import { homeWithRoom } from './helpers.js';

const at = (iso: string) => ({ now: () => new Date(iso) });

describe('claim scope', () => {
  it('normalizes paths: backslashes, empty and . segments; absolute or .. widen to the whole tree, with a warning', () => {
    expect(normalizeClaimPaths(['src\\a\\b.ts', './src//c/', 'src/a'])).toEqual(['src/a', 'src/c']);
    const warnings: string[] = [];
    expect(normalizeClaimPaths(['/etc/passwd'], warnings)).toEqual(['.']);
    expect(normalizeClaimPaths(['src/../../x'], warnings)).toEqual(['.']);
    expect(normalizeClaimPaths(['C:\\x'], warnings)).toEqual(['.']);
    expect(warnings).toHaveLength(3);
    expect(normalizeClaimPaths([])).toEqual(['.']);
  });

  it('600 paths or a 5,000-character path widen (never refused, never silent)', () => {
    const warnings: string[] = [];
    expect(normalizeClaimPaths(Array.from({ length: 600 }, (_, i) => `f${i}`), warnings)).toEqual(['.']);
    expect(warnings[0]).toContain('600 paths');
    const long = `src/${'d'.repeat(600)}/${'e'.repeat(600)}/${'f'.repeat(3800)}`;
    const cut: string[] = [];
    const [path] = normalizeClaimPaths([long], cut);
    expect(long.startsWith(path + '/')).toBe(true);
    expect(path.length).toBeLessThanOrEqual(1024);
    expect(cut[0]).toContain('5006-character path');
    expect(normalizeClaimPaths(['x'.repeat(5000)], [])).toEqual(['.']);
  });

  it('overlap is equality or a parent at a / boundary', () => {
    expect(pathsOverlap('src/a', 'src/a/b.ts')).toBe(true);
    expect(pathsOverlap('src/a', 'src/ab')).toBe(false);
    expect(pathsOverlap('.', 'anything')).toBe(true);
    expect(scopeOverlap(['docs', 'src/x'], ['src'])).toEqual(['src/x', 'src']);
  });

  it('TTL: durations, clamped to 30 s … 30 days; 0, negative and abc are refused', () => {
    expect(parseTtl('30m')).toBe(1800);
    expect(parseTtl('90')).toBe(90);
    const w: string[] = [];
    expect(parseTtl('5s', w)).toBe(30);
    expect(parseTtl('90d', w)).toBe(30 * 86400);
    expect(w).toHaveLength(2);
    for (const bad of ['0', '-5m', 'abc', '0s']) expect(() => parseTtl(bad)).toThrow(InvalidTtlError);
  });
});

describe('claims library', () => {
  it('grants one file per claim; an overlapping claim by someone else is refused naming holder and claim', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const { claim } = await grantClaim(room, { holder: 'ana', paths: ['src/a'], ttl: '10m', task: 't-abcd' });
    expect(claim).toMatchObject({ holder: 'ana', paths: ['src/a'], ttl: 600, task: 't-abcd', live: true });
    const file = await readFile(room.pathOf(`claims/${claim.id}`), 'utf8');
    expect(file).toMatch(/holder: ana/);
    expect(file).not.toMatch(/expires/);
    await expect(grantClaim(room, { holder: 'bob', paths: ['src/a/x.ts'] })).rejects.toThrow(new RegExp(`claim ${claim.id} held by @ana`));
    await expect(grantClaim(room, { holder: 'bob', paths: ['src'] })).rejects.toBeInstanceOf(ClaimConflictError);
    // Not an overlap: a sibling whose name merely starts the same, another worktree, or myself.
    await grantClaim(room, { holder: 'bob', paths: ['src/ab'] });
    await grantClaim(room, { holder: 'bob', paths: ['src/a'], worktree: 'wt-bob' });
    await grantClaim(room, { holder: 'ana', paths: ['src/a/y.ts'] });
    expect((await listClaims(room)).claims).toHaveLength(4);
    expect((await listClaims(room, { holder: 'bob' })).claims).toHaveLength(2);
  });

  it('expiry is computed at read time; an expired claim no longer blocks and its checkpoint passes to the next claimant of the task', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const { claim } = await grantClaim(room, { holder: 'ana', paths: ['src'], ttl: '60s', task: 't-abcd', checkpoint: 'step 2 of 5' }, at('2026-01-01T10:00:00Z'));
    await expect(grantClaim(room, { holder: 'bob', paths: ['src'] }, at('2026-01-01T10:00:59Z'))).rejects.toBeInstanceOf(ClaimConflictError);
    expect((await listClaims(room, {}, at('2026-01-01T10:01:01Z'))).claims).toHaveLength(0);
    expect((await listClaims(room, { all: true }, at('2026-01-01T10:01:01Z'))).claims[0]).toMatchObject({ id: claim.id, live: false });
    const next = await grantClaim(room, { holder: 'bob', paths: ['src'], task: 't-abcd' }, at('2026-01-01T10:01:01Z'));
    expect(next.inherited_checkpoint).toBe('step 2 of 5');
    expect(next.claim.checkpoint).toBe('step 2 of 5');
    expect(next.claim.epoch).toBeGreaterThan(claim.epoch);
  });

  it('release, renew and handoff: only the holder, only with the current epoch', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const t0 = '2026-01-01T10:00:00Z';
    const { claim } = await grantClaim(room, { holder: 'ana', paths: ['src'], ttl: '10m' }, at(t0));
    await expect(releaseClaim(room, 'bob', claim.id)).rejects.toBeInstanceOf(ClaimNotYoursError);
    await expect(releaseClaim(room, 'ana', claim.id, claim.epoch + 1)).rejects.toBeInstanceOf(StaleEpochError);
    // Renewal rewrites only after half the TTL.
    const early = await renewClaim(room, 'ana', claim.id, { epoch: claim.epoch }, at('2026-01-01T10:04:00Z'));
    expect(early.renewed).toBe(false);
    const late = await renewClaim(room, 'ana', claim.id, { epoch: claim.epoch }, at('2026-01-01T10:06:00Z'));
    expect(late.renewed).toBe(true);
    expect(late.claim.epoch).toBeGreaterThan(claim.epoch);
    expect(late.claim.expires_at).toBe('2026-01-01T10:16:00.000Z');
    await expect(renewClaim(room, 'ana', claim.id, { epoch: claim.epoch }, at('2026-01-01T10:14:00Z'))).rejects.toBeInstanceOf(StaleEpochError);
    // Handoff re-checks third parties; the new holder gets a new epoch.
    const given = await handoffClaim(room, 'ana', claim.id, 'bob', late.claim.epoch, at('2026-01-01T10:07:00Z'));
    expect(given).toMatchObject({ holder: 'bob' });
    expect(given.epoch).toBeGreaterThan(late.claim.epoch);
    await expect(releaseClaim(room, 'ana', claim.id)).rejects.toThrow(/held by @bob/);
    await releaseClaim(room, 'bob', claim.id, given.epoch);
    await expect(releaseClaim(room, 'bob', claim.id)).rejects.toBeInstanceOf(ClaimNotFoundError);
  });

  it('handoff re-checks the scope against third parties; a clash found after sync marks the later claim', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const mineClaim = (await grantClaim(room, { holder: 'ana', paths: ['src'] })).claim;
    // cy holds src/x in another worktree: no conflict for ana, none for bob either.
    await grantClaim(room, { holder: 'cy', paths: ['src/x'], worktree: 'w2' });
    await handoffClaim(room, 'ana', mineClaim.id, 'bob');
    // A clash that slipped in (as after a git sync) makes a handoff refuse.
    const home = room.home;
    await mkdir(join(room.dir, 'claims'), { recursive: true });
    await writeFile(
      join(room.dir, 'claims', 'c-zzzzzzzz.md'),
      `---\nholder: dan\npaths: [src/y]\nclaimed_at: '${new Date().toISOString()}'\nttl: 600\nepoch: 1\n---\nsynced in\n`,
    );
    await expect(handoffClaim(room, 'bob', mineClaim.id, 'eve')).rejects.toThrow(/held by @dan/);
    expect(home).toBeTruthy();
    const listed = (await listClaims(room)).claims;
    const loser = listed.find((c) => c.holder === 'dan')!;
    expect(loser.clash).toMatchObject({ claim: mineClaim.id, holder: 'bob' });
  });

  it('claims check names the holder; release --all frees mine; nonsense claim files are ignored with a warning', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const { claim } = await grantClaim(room, { holder: 'ana', paths: ['src/a'] });
    const check = await checkScope(room, 'bob', { paths: ['src/a/b.ts', 'docs/x.md'] });
    expect(check.conflicts).toHaveLength(1);
    expect(check.conflicts[0]).toMatchObject({ path: 'src/a/b.ts', claim: { id: claim.id, holder: 'ana' } });
    expect((await checkScope(room, 'ana', { paths: ['src/a/b.ts'] })).conflicts).toEqual([]);
    await writeFile(join(room.dir, 'claims', 'c-00000000.md'), '---\nholder: [1, 2\n---\n');
    await writeFile(join(room.dir, 'claims', 'c-11111111.md'), 'just text\n');
    await writeFile(join(room.dir, 'claims', 'c-22222222.md'), '---\nholder: x\npaths: [a]\nclaimed_at: never\nttl: -1\nepoch: z\n---\n');
    const listed = await listClaims(room);
    expect(listed.claims.map((c) => c.id)).toEqual([claim.id]);
    expect(listed.warnings.filter((w) => w.includes('not a readable claim'))).toHaveLength(3);
    expect((await releaseAll(room, 'ana')).map((c) => c.id)).toEqual([claim.id]);
    expect((await listClaims(room)).claims).toEqual([]);
  });
});
