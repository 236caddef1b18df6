import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, snapshot, startServe } from './helpers.js';
import { deleteAgainstEdit, person, sameKeyConflict } from './sync-people.js';

const TOKEN = 'team-token-1234';

/** A server home with room 'team' holding two memories, served with a token. */
async function server() {
  const home = homeWithRoom('team');
  cli(['memory', 'set', 'decisions/db', 'Use PostgreSQL 16', '--room', 'team', '--handle', 'srv'], { home });
  cli(['memory', 'set', 'context/deploy', '{"strategy": "blue-green"}', '--room', 'team', '--handle', 'srv'], { home });
  const running = await startServe(home, ['--token', TOKEN]);
  return { home, ...running, roomUrl: `${running.url}/rooms/team`, roomDir: join(home, 'rooms', 'team') };
}

const withToken = { MYCELIUM_TOKEN: TOKEN };

describe('HTTP sync', () => {
  it('clones byte for byte, remembers the URL but never the token, and round-trips changes', async () => {
    const srv = await server();
    const ana = person('ana');
    const cloned = ana.run('room', 'clone', srv.roomUrl, '--token', TOKEN, '--json');
    expect(cloned.code, cloned.stderr).toBe(0);
    expect(JSON.parse(cloned.stdout)).toEqual({ room: 'team', via: 'http', source: srv.roomUrl });
    expect(snapshot(ana.roomDir)).toEqual(snapshot(srv.roomDir));
    const state = JSON.parse(readFileSync(join(ana.home, 'sync', 'team.json'), 'utf8'));
    expect(state.url).toBe(srv.roomUrl);
    const everything = JSON.stringify(snapshot(ana.home));
    expect(everything).not.toContain(TOKEN);

    // Without a token the sync is refused with a message that says what to do.
    const refused = ana.sync();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refused the token; pass --token or set MYCELIUM_TOKEN/);

    ana.set('decisions/cache', 'Redis');
    const pushed = ana.run('sync', '--room', 'team', '--token', TOKEN, '--json');
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout)).toMatchObject({ via: 'http', outgoing: [{ type: 'created', key: 'decisions/cache' }], incoming: [] });
    expect(readFileSync(join(srv.roomDir, 'decisions', 'cache.md'), 'utf8')).toBe(readFileSync(join(ana.roomDir, 'decisions', 'cache.md'), 'utf8'));

    cli(['memory', 'set', 'decisions/db', 'Use PostgreSQL 17', '--room', 'team', '--handle', 'srv'], { home: srv.home });
    cli(['memory', 'rm', 'context/deploy', '--room', 'team'], { home: srv.home });
    const pulled = JSON.parse(ana.run('sync', '--room', 'team', '--token', TOKEN, '--json').stdout);
    expect(pulled.incoming).toEqual([
      { type: 'deleted', key: 'context/deploy' },
      { type: 'updated', key: 'decisions/db' },
    ]);
    expect(pulled.outgoing).toEqual([]);
    expect(snapshot(ana.roomDir)).toEqual(snapshot(srv.roomDir));
    const quiet = JSON.parse(ana.run('sync', '--room', 'team', '--token', TOKEN, '--json').stdout);
    expect([quiet.incoming, quiet.outgoing]).toEqual([[], []]);
  });

  it('same key edited by two clients: the server version stays, the local one becomes a sibling, exit 3', async () => {
    const srv = await server();
    const ana = person('ana', withToken);
    const bo = person('bo', withToken);
    expect(ana.run('room', 'clone', srv.roomUrl).code).toBe(0);
    expect(bo.run('room', 'clone', srv.roomUrl).code).toBe(0);
    const { report, sibling } = sameKeyConflict(ana, bo);
    expect(report.outgoing).toEqual([{ type: 'created', key: sibling }]);
    expect(bo.run('sync', '--room', 'team').code).toBe(0);
    ana.sync();
    expect(ana.get(sibling)).toBe('bo says SQLite');
    expect(snapshot(ana.roomDir)).toEqual(snapshot(srv.roomDir));
    expect(snapshot(bo.roomDir)).toEqual(snapshot(srv.roomDir));
  });

  it('an edit of a key this client pushed last time is pushed, not taken for a conflict with its own push', async () => {
    const srv = await server();
    const ana = person('ana', withToken);
    expect(ana.run('room', 'clone', srv.roomUrl).code).toBe(0);
    ana.set('notes/x', 'first');
    expect(ana.sync().code).toBe(0);
    // Wait until the server's event log holds the push: the next pull then reads ana's own change.
    const state = JSON.parse(readFileSync(join(ana.home, 'sync', 'team.json'), 'utf8'));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const page = await fetch(`${srv.roomUrl}/changes?since=${state.cursor}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      const { changes } = (await page.json()) as { changes: { key: string }[] };
      if (changes.some((c) => c.key === 'notes/x') || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    ana.set('notes/x', 'second');
    const synced = ana.sync();
    expect(synced.code, synced.stdout).toBe(0);
    expect(JSON.parse(synced.stdout)).toMatchObject({ incoming: [], outgoing: [{ type: 'updated', key: 'notes/x' }], conflicts: [] });
    expect(readFileSync(join(srv.roomDir, 'notes', 'x.md'), 'utf8')).toBe(readFileSync(join(ana.roomDir, 'notes', 'x.md'), 'utf8'));
  });

  it('a delete against an edit keeps the edit, both ways', async () => {
    const srv = await server();
    const ana = person('ana', withToken);
    const bo = person('bo', withToken);
    ana.run('room', 'clone', srv.roomUrl);
    bo.run('room', 'clone', srv.roomUrl);
    deleteAgainstEdit(ana, bo);
    for (const p of [ana, bo]) expect(snapshot(p.roomDir)).toEqual(snapshot(srv.roomDir));
  });

  it('a client whose cursor the bounded event log no longer covers re-reads from the start, deletes included', async () => {
    const home = homeWithRoom('team');
    cli(['memory', 'set', 'decisions/db', 'Use PostgreSQL 16', '--room', 'team'], { home });
    cli(['memory', 'set', 'context/deploy', 'blue-green', '--room', 'team'], { home });
    const running = await startServe(home, ['--token', TOKEN], { MYCELIUM_EVENT_LOG_MAX: '3' });
    const roomUrl = `${running.url}/rooms/team`;
    const ana = person('ana', withToken);
    expect(ana.run('room', 'clone', roomUrl).code).toBe(0);
    cli(['memory', 'rm', 'context/deploy', '--room', 'team'], { home });
    for (let i = 0; i < 6; i++) cli(['memory', 'set', `notes/n${i}`, `note ${i}`, '--room', 'team'], { home });
    cli(['memory', 'set', 'decisions/db', 'Use PostgreSQL 18', '--room', 'team'], { home });
    // Wait until the daemon has logged (and compacted) it all: the clone's cursor is then too old.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const page = await fetch(`${roomUrl}/changes?since=l.1`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      if (page.status === 410) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    const synced = ana.sync();
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout).incoming).toContainEqual({ type: 'deleted', key: 'context/deploy' });
    expect(ana.get('decisions/db')).toBe('Use PostgreSQL 18');
    expect(snapshot(ana.roomDir)).toEqual(snapshot(join(home, 'rooms', 'team')));
  });

  it('a server that is down is a clear error, exit 4, and nothing local is lost', async () => {
    const srv = await server();
    const ana = person('ana', withToken);
    ana.run('room', 'clone', srv.roomUrl);
    ana.set('notes/offline', 'written offline');
    await srv.stop();
    const before = snapshot(ana.roomDir);
    const synced = ana.sync();
    expect(synced.code).toBe(4);
    expect(synced.stderr).toMatch(/^mycelium: cannot reach http:\/\/127\.0\.0\.1:\d+\/rooms\/team \(ECONNREFUSED\); check the address or your network and run `mycelium sync` again; nothing was lost\n$/);
    expect(snapshot(ana.roomDir)).toEqual(before);

    const bo = person('bo', withToken);
    const clone = bo.run('room', 'clone', srv.roomUrl);
    expect(clone.code).toBe(4);
    expect(existsSync(join(bo.home, 'rooms', 'team'))).toBe(false);
  });

  it('clones a room by name from MYCELIUM_API_URL; an unknown room is exit 1 and leaves nothing', async () => {
    const srv = await server();
    const env = { ...withToken, MYCELIUM_API_URL: srv.url };
    const ana = person('ana', env);
    const cloned = ana.run('room', 'clone', 'team', 'mine');
    expect(cloned.code, cloned.stderr).toBe(0);
    expect(cloned.stdout).toBe(`cloned 2 memories from ${srv.roomUrl} into room 'mine' (http)\n`);
    expect(readdirSync(join(ana.home, 'rooms', 'mine')).sort()).toEqual(['context', 'decisions']);
    const missing = ana.run('room', 'clone', `${srv.url}/rooms/nope`);
    expect(missing.code).toBe(1);
    expect(existsSync(join(ana.home, 'rooms', 'nope'))).toBe(false);
    writeFileSync(join(ana.home, 'rooms', 'mine', 'hand.md'), 'by hand');
    const synced = JSON.parse(ana.run('sync', '--room', 'mine', '--json').stdout);
    expect(synced.outgoing).toEqual([{ type: 'created', key: 'hand' }]);
    expect(readFileSync(join(srv.roomDir, 'hand.md'), 'utf8')).toBe('by hand');
  });
});
