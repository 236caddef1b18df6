import { join } from 'node:path';
import { expect } from 'vitest';
import { cli, cliAsync, tempDir } from './helpers.js';

/** Someone sharing room 'team': their own home and handle, running the real CLI. */
export function person(handle: string, env: Record<string, string> = {}) {
  const home = tempDir();
  const run = (...args: string[]) => cli([...args, '--handle', handle], { home, env });
  return {
    home,
    handle,
    run,
    roomDir: join(home, 'rooms', 'team'),
    set: (key: string, value: string) => expect(run('memory', 'set', key, value, '--room', 'team').code).toBe(0),
    get: (key: string) => run('memory', 'get', key, '--room', 'team').stdout,
    sync: () => run('sync', '--room', 'team', '--json'),
    syncAsync: () => cliAsync(['sync', '--room', 'team', '--json', '--handle', handle], { home, env }),
  };
}

export type Person = ReturnType<typeof person>;

/**
 * Ana and Bo edit decisions/db; Ana syncs first. Bo's sync must keep Ana's version at the key and
 * Bo's as a sibling with conflict_of, exit 3. Returns Bo's report and the sibling key.
 */
export function sameKeyConflict(ana: Person, bo: Person): { report: any; sibling: string } {
  ana.set('decisions/db', 'ana says MySQL');
  bo.set('decisions/db', 'bo says SQLite');
  expect(ana.sync().code).toBe(0);
  const synced = bo.sync();
  expect(synced.code).toBe(3);
  const report = JSON.parse(synced.stdout);
  expect(report.conflicts).toEqual([
    { key: 'decisions/db', conflict_key: expect.stringMatching(/^decisions\/db\.conflict-bo-[0-9a-f]{7}$/) },
  ]);
  const sibling = report.conflicts[0].conflict_key as string;
  expect(bo.get('decisions/db')).toBe('ana says MySQL');
  const copy = JSON.parse(bo.run('memory', 'get', sibling, '--room', 'team', '--json').stdout);
  expect(copy).toMatchObject({ key: sibling, value: 'bo says SQLite', extra: { conflict_of: 'decisions/db' } });
  expect(report.incoming).toEqual([{ type: 'updated', key: 'decisions/db' }]);
  return { report, sibling };
}

/**
 * decisions/db: Ana deletes, Bo edits; context/deploy: Ana edits, Bo deletes. After both sync (and
 * Ana again) both edits survive everywhere.
 */
export function deleteAgainstEdit(ana: Person, bo: Person): void {
  expect(ana.run('memory', 'rm', 'decisions/db', '--room', 'team').code).toBe(0);
  ana.set('context/deploy', 'edited by ana');
  bo.set('decisions/db', 'edited by bo');
  expect(bo.run('memory', 'rm', 'context/deploy', '--room', 'team').code).toBe(0);
  expect(ana.sync().code).toBe(0);
  const second = bo.sync();
  expect(second.code, second.stderr).toBe(0);
  expect(ana.sync().code).toBe(0);
  for (const p of [ana, bo]) {
    expect(p.get('decisions/db')).toBe('edited by bo');
    expect(p.get('context/deploy')).toBe('edited by ana');
  }
}
