import { describe, expect, it } from 'vitest';
import { diffPlans } from '../src/coord/plan/changes.js';
import type { Task } from '../src/coord/plan/store.js';
import { run, waitFor } from './daemon-helpers.js';
import { cli, homeWithRoom } from './helpers.js';

const as = (handle: string) => ['--room', 'team', '--handle', handle];

function task(id: string, over: Partial<Task> = {}): Task {
  return { id, text: `task ${id}`, state: 'open', status: 'ready', owner: null, needs: [], closed_by: null, claimed_at: null, waiting: [], missing: [], line: 1, ...over };
}

describe('diffPlans', () => {
  it('says per task what changed between two readings', () => {
    const before = [task('t-aaaa'), task('t-bbbb'), task('t-cccc', { state: 'done', closed_by: 'bo' }), task('t-dddd')];
    const after = [
      task('t-aaaa', { owner: 'bob' }),
      task('t-bbbb', { state: 'done', closed_by: 'ana' }),
      task('t-cccc'),
      task('t-eeee'),
      task('', { text: 'no id yet' }),
    ];
    expect(diffPlans(before, after).map((c) => [c.change, c.id, c.owner ?? c.by])).toEqual([
      ['claimed', 't-aaaa', 'bob'],
      ['done', 't-bbbb', 'ana'],
      ['reopened', 't-cccc', null],
      ['added', 't-eeee', null],
      ['removed', 't-dddd', null],
    ]);
    expect(diffPlans(after, after)).toEqual([]);
  });
});

describe('watch: plan and claim lines', () => {
  it('shows tasks added, claimed and done, and claims granted, renewed, handed off and released', async () => {
    const home = homeWithRoom();
    const id = cli(['plan', 'task', 'add', 'Write the migration', ...as('ana')], { home }).stdout.trim();
    const json = run(['watch', '--room', 'team', '--json'], home);
    const text = run(['watch', '--room', 'team'], home);
    await waitFor(() => json.stderr().includes("watching room 'team'") && text.stderr().includes("watching room 'team'"), 30_000, 'watch to be ready');
    const changes = () => json.lines().flatMap((l) => (l.type === 'plan' ? (l.changes as { change: string; id: string }[]) : []));
    const claimLines = () => json.lines().filter((l) => l.type === 'claim');

    expect(cli(['plan', 'task', 'claim', id, ...as('bob')], { home }).code).toBe(0);
    await waitFor(() => changes().some((c) => c.change === 'claimed' && c.id === id), 30_000, 'the claimed line');
    expect(cli(['plan', 'task', 'done', id, ...as('bob')], { home }).code).toBe(0);
    await waitFor(() => changes().some((c) => c.change === 'done' && c.id === id), 30_000, 'the done line');

    const claim = JSON.parse(cli(['claim', 'src/db', '--json', ...as('bob')], { home }).stdout).claim;
    await waitFor(() => claimLines().some((l) => l.change === 'granted'), 30_000, 'the granted line');
    expect(cli(['claim', 'renew', claim.id, '--ttl', '2h', ...as('bob')], { home }).code).toBe(0);
    await waitFor(() => claimLines().some((l) => l.change === 'renewed'), 30_000, 'the renewed line');
    expect(cli(['claim', 'handoff', claim.id, 'cy', ...as('bob')], { home }).code).toBe(0);
    await waitFor(() => claimLines().some((l) => l.change === 'handed_off'), 30_000, 'the handoff line');
    expect(cli(['release', claim.id, ...as('cy')], { home }).code).toBe(0);
    await waitFor(() => claimLines().some((l) => l.change === 'released'), 30_000, 'the released line');
    await waitFor(() => text.stdout().includes('released'), 30_000, 'the text watch to catch up');

    json.child.kill('SIGINT');
    text.child.kill('SIGINT');
    expect(await json.exited).toBe(0);
    expect(await text.exited).toBe(0);
    expect(claimLines().find((l) => l.change === 'granted')).toMatchObject({ id: claim.id, holder: 'bob', paths: ['src/db'], by: 'bob' });
    expect(claimLines().find((l) => l.change === 'handed_off')).toMatchObject({ id: claim.id, holder: 'cy', from: 'bob' });
    expect(claimLines().find((l) => l.change === 'released')).toMatchObject({ id: claim.id, holder: 'cy' });
    const out = text.stdout();
    expect(out).toContain(`[plan] ${id} claimed by @bob  Write the migration`);
    expect(out).toContain(`[plan] ${id} done by @bob  Write the migration`);
    expect(out).toContain(`[claim] ${claim.id} granted to @bob: src/db`);
    expect(out).toContain(`[claim] ${claim.id} handed off from @bob to @cy: src/db`);
    expect(out).toContain(`[claim] ${claim.id} of @cy released: src/db`);
  });
});
