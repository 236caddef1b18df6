import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom } from './helpers.js';

const as = (handle: string) => ['--room', 'team', '--handle', handle];

describe('plan (CLI)', () => {
  it('task add prints the id; tasks lists status, owner and why blocked; done records who', () => {
    const home = homeWithRoom();
    const a = cli(['plan', 'task', 'add', 'Pick the database', ...as('ana')], { home });
    expect(a.code).toBe(0);
    const idA = a.stdout.trim();
    expect(idA).toMatch(/^t-[0-9a-z]{4}$/);
    const b = cli(['plan', 'task', 'add', 'Write the migration', '--needs', idA, '--owner', 'bob', ...as('ana')], { home });
    const idB = b.stdout.trim();
    const c = cli(['plan', 'task', 'add', 'Ship', '--needs', `${idB},t-zzzz`, ...as('ana')], { home });
    expect(c.code).toBe(1); // t-zzzz is no task
    expect(c.stderr).toContain("no task 't-zzzz'");
    cli(['plan', 'task', 'add', 'Ship', '--needs', idB, ...as('ana')], { home });
    const listed = cli(['plan', 'tasks', ...as('ana')], { home });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${idA}\\s+ready\\s+-\\s+Pick the database`));
    expect(listed.stdout).toMatch(new RegExp(`${idB}\\s+claimed\\s+@bob\\s+Write the migration`));
    expect(listed.stdout).toContain(`Ship  (waits for ${idB})`);
    const done = cli(['plan', 'task', 'done', idA, ...as('cy')], { home });
    expect(done.code).toBe(0);
    const json = JSON.parse(cli(['plan', 'tasks', '--all', '--json', ...as('ana')], { home }).stdout);
    expect(json.find((t: { id: string }) => t.id === idA)).toMatchObject({ state: 'done', closed_by: 'cy' });
    expect(JSON.parse(cli(['plan', 'tasks', '--json', ...as('ana')], { home }).stdout)).toHaveLength(2);
    expect(JSON.parse(cli(['plan', 'tasks', '--mine', '--json', ...as('bob')], { home }).stdout).map((t: { id: string }) => t.id)).toEqual([idB]);
    expect(JSON.parse(cli(['plan', 'tasks', '--owner', 'bob', '--json', ...as('ana')], { home }).stdout)).toHaveLength(1);
    const show = cli(['plan', 'show', ...as('ana')], { home });
    expect(show.stdout).toContain(`- [x] Pick the database (${idA}) done:@cy`);
  });

  it('claim: idempotent, exit 3 naming the holder; claiming a done task exits 3; unknown id exits 1 with the closest', () => {
    const home = homeWithRoom();
    const id = cli(['plan', 'task', 'add', 'one', ...as('ana')], { home }).stdout.trim();
    expect(cli(['plan', 'task', 'claim', id, ...as('bob')], { home }).code).toBe(0);
    expect(cli(['plan', 'task', 'claim', id, ...as('bob')], { home }).code).toBe(0);
    const refused = cli(['plan', 'task', 'claim', id, ...as('cy')], { home });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('claimed by @bob');
    cli(['plan', 'task', 'done', id, ...as('bob')], { home });
    const doneClaim = cli(['plan', 'task', 'claim', id, ...as('cy')], { home });
    expect(doneClaim.code).toBe(3);
    expect(doneClaim.stderr).toContain('plan task undo');
    const typo = id.slice(0, -1) + (id.endsWith('q') ? 'r' : 'q');
    const unknown = cli(['plan', 'task', 'claim', typo, ...as('cy')], { home });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`did you mean ${id}?`);
    expect(cli(['plan', 'task', 'undo', id, ...as('bob')], { home }).code).toBe(0);
    expect(cli(['plan', 'task', 'drop', id, ...as('bob')], { home }).stdout).toContain('dropped');
  });

  it('needs: a cycle and a self-need exit 2 naming the cycle; assign, edit and ready --claim work', () => {
    const home = homeWithRoom();
    const a = cli(['plan', 'task', 'add', 'a', ...as('ana')], { home }).stdout.trim();
    const b = cli(['plan', 'task', 'add', 'b', '--needs', a, ...as('ana')], { home }).stdout.trim();
    const cycle = cli(['plan', 'task', 'needs', a, b, ...as('ana')], { home });
    expect(cycle.code).toBe(2);
    expect(cycle.stderr).toContain(`${a} → ${b} → ${a}`);
    const self = cli(['plan', 'task', 'needs', a, a, ...as('ana')], { home });
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('cannot need itself');
    expect(cli(['plan', 'task', 'assign', a, 'dan', ...as('ana')], { home }).stdout).toContain('@dan');
    expect(cli(['plan', 'task', 'edit', a, 'a again', ...as('ana')], { home }).stdout).toContain('a again');
    const ready = cli(['plan', 'ready', '--claim', '--json', ...as('dan')], { home });
    expect(JSON.parse(ready.stdout).task).toMatchObject({ id: a, owner: 'dan' });
    const none = cli(['plan', 'ready', ...as('eve')], { home });
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('nothing is ready');
    expect(cli(['plan', 'task', 'add', '', ...as('ana')], { home }).code).toBe(2);
    expect(cli(['plan', 'task', 'add', 'x', '--needs', 'bogus', ...as('ana')], { home }).code).toBe(2);
  });

  it('a hand-edited plan is read with warnings and nothing in it is lost', () => {
    const home = homeWithRoom();
    const id = cli(['plan', 'task', 'add', 'first', ...as('ana')], { home }).stdout.trim();
    const path = join(home, 'rooms', 'team', 'plan', 'tasks.md');
    writeFileSync(path, readFileSync(path, 'utf8') + '\nNotes from a person.\n- [ ] by hand\n- [] broken\n');
    const listed = cli(['plan', 'tasks', ...as('ana')], { home });
    expect(listed.code).toBe(0);
    expect(listed.stderr).toContain('looks like a task');
    expect(listed.stdout).toContain('(no id)');
    cli(['plan', 'task', 'done', id, ...as('ana')], { home });
    const after = readFileSync(path, 'utf8');
    expect(after).toContain('\nNotes from a person.\n');
    expect(after).toMatch(/- \[ \] by hand \(t-[0-9a-z]{4}\)\n/);
    expect(after).toContain('- [] broken\n');
  });
});
