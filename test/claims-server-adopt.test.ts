import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { homeWithRoom, startServe } from './helpers.js';
import { person } from './sync-people.js';

// A claim made through the server lands in the local clone at once, as the server's bytes (issue 13).
describe('a claim made on the server, in the clone', () => {
  it('is in the clone at once as the server wrote it; the next sync pushes nothing and finds no conflict', async () => {
    const home = homeWithRoom();
    const srv = await startServe(home);
    const ana = person('ana');
    expect(ana.run('room', 'clone', `${srv.url}/rooms/team`).code).toBe(0);
    const made = ana.run('claim', 'src/db', '--room', 'team', '--json');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toBe('');
    const { id } = JSON.parse(made.stdout).claim;
    const onServer = readFileSync(join(home, 'rooms', 'team', 'claims', `${id}.md`));
    const local = join(ana.roomDir, 'claims', `${id}.md`);
    expect(readFileSync(local).equals(onServer)).toBe(true);
    const synced = ana.sync();
    expect(synced.code, synced.stderr).toBe(0);
    const report = JSON.parse(synced.stdout);
    expect(report.conflicts).toEqual([]);
    expect(report.outgoing).toEqual([]);
    expect(readFileSync(local).equals(onServer)).toBe(true);
    // Renewed on the server: the clone has the new bytes too.
    const renewed = ana.run('claim', 'renew', id, '--ttl', '2h', '--room', 'team');
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(readFileSync(local).equals(readFileSync(join(home, 'rooms', 'team', 'claims', `${id}.md`)))).toBe(true);
    expect(JSON.parse(ana.sync().stdout)).toMatchObject({ outgoing: [], conflicts: [] });
  });

  it('released on the server before the next sync: the sync removes it here and never pushes it back', async () => {
    const home = homeWithRoom();
    const srv = await startServe(home);
    const ana = person('ana');
    expect(ana.run('room', 'clone', `${srv.url}/rooms/team`).code).toBe(0);
    const { id } = JSON.parse(ana.run('claim', 'src/api', '--room', 'team', '--json').stdout).claim;
    const local = join(ana.roomDir, 'claims', `${id}.md`);
    expect(existsSync(local)).toBe(true);
    expect(ana.run('release', id, '--room', 'team').code).toBe(0);
    expect(existsSync(join(home, 'rooms', 'team', 'claims', `${id}.md`))).toBe(false);
    const synced = ana.sync();
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout).outgoing).toEqual([]);
    expect(existsSync(local)).toBe(false);
    expect(existsSync(join(home, 'rooms', 'team', 'claims', `${id}.md`))).toBe(false);
  });
});
