import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchMemories } from '../src/daemon/client.js';
import { memoryKeysIn } from '../src/room.js';
import { scanRoom } from '../src/room-scan.js';
import { addRoom } from '../src/rooms.js';
import { cli, snapshot, startServe, tempDir } from './helpers.js';
import { startDaemon, startSubscriber, waitFor } from './daemon-helpers.js';

/** A folder outside any home, the way a notes vault or a repository's docs/ looks. */
function vault(): string {
  const dir = realpathSync(tempDir('mycelium-vault-'));
  mkdirSync(join(dir, 'guides'));
  writeFileSync(join(dir, 'guides', 'deploy.md'), '# Deploy\n\nWe deploy blue-green with a canary first.\n');
  writeFileSync(join(dir, 'README.md'), 'The team notes.\n');
  writeFileSync(join(dir, 'bad:name.md'), 'not a valid key, so skipped\n');
  writeFileSync(join(dir, 'image.png'), 'not markdown');
  return dir;
}

const json = (out: string) => JSON.parse(out);

describe('rooms that live in any folder', () => {
  it('room add registers a folder in place: listed, read, written and searched there, nothing copied', () => {
    const home = tempDir();
    const dir = vault();
    const added = cli(['room', 'add', 'notes', dir, '--json'], { home });
    expect(added.code).toBe(0);
    expect(json(added.stdout)).toEqual({ room: 'notes', path: dir, linked: true, memories: 2, active: true });
    expect(lstatSync(join(home, 'rooms', 'notes')).isSymbolicLink()).toBe(true);

    const rooms = json(cli(['room', 'ls', '--json'], { home }).stdout).rooms;
    expect(rooms).toEqual([expect.objectContaining({ name: 'notes', memories: 2, path: dir, linked: true, active: true })]);
    expect(cli(['room', 'ls'], { home }).stdout).toContain(`-> ${dir}`);

    expect(cli(['memory', 'get', 'guides/deploy'], { home }).stdout).toContain('blue-green');
    expect(cli(['memory', 'set', 'decisions/db', 'Use PostgreSQL'], { home }).code).toBe(0);
    expect(readFileSync(join(dir, 'decisions', 'db.md'), 'utf8')).toContain('Use PostgreSQL');
    const found = json(cli(['memory', 'search', 'canary', '--mode', 'bm25', '--json'], { home }).stdout);
    expect(found.results.map((r: { key: string }) => r.key)).toEqual(['guides/deploy']);
    // The index is the home's, never a file in the folder.
    expect(existsSync(join(home, 'index', 'notes'))).toBe(true);
    expect(Object.keys(snapshot(dir)).sort()).toEqual(['README.md', 'bad:name.md', 'decisions/db.md', 'guides/deploy.md', 'image.png']);
  });

  it('room rm of an added room only forgets it; --delete-files deletes the folder', () => {
    const home = tempDir();
    const dir = vault();
    cli(['room', 'add', 'notes', dir], { home });
    const before = snapshot(dir);
    const forgot = cli(['room', 'rm', 'notes', '--json'], { home });
    expect([forgot.code, json(forgot.stdout)]).toEqual([0, { room: 'notes', removed: true, memories: 2, linked: true, files_deleted: false }]);
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(join(home, 'rooms', 'notes'))).toBe(false);
    expect(existsSync(join(home, 'index', 'notes'))).toBe(false);
    expect(cli(['room', 'ls'], { home }).stdout).toContain('no rooms yet');

    cli(['room', 'add', 'notes', dir], { home });
    expect(cli(['room', 'rm', 'notes'], { home }).stdout).toBe("forgot room 'notes' (2 memories); its folder was left as it is\n");
    cli(['room', 'add', 'notes', dir], { home });
    const deleted = cli(['room', 'rm', 'notes', '--delete-files', '--json'], { home });
    expect(json(deleted.stdout)).toEqual({ room: 'notes', removed: true, memories: 2, linked: true, files_deleted: true });
    expect(existsSync(dir)).toBe(false);
  });

  it('a room whose folder went missing says where it lived and can still be forgotten', () => {
    const home = tempDir();
    const dir = join(tempDir(), 'gone');
    mkdirSync(dir);
    cli(['room', 'add', 'notes', dir], { home });
    spawnSync('rm', ['-r', dir]);
    const get = cli(['memory', 'get', 'x', '--room', 'notes'], { home });
    expect([get.code, get.stderr]).toEqual([1, `mycelium: room 'notes' lives in ${realpathSync(join(dir, '..'))}/gone, which is missing; bring the folder back or forget the room with \`mycelium room rm notes\`\n`]);
    expect(cli(['room', 'rm', 'notes'], { home }).code).toBe(0);
    expect(existsSync(join(home, 'rooms', 'notes'))).toBe(false);
  });

  it('refuses a missing folder, a file, the home, a folder of another room, a taken or invalid name', () => {
    const home = tempDir();
    const dir = vault();
    cli(['room', 'create', 'team'], { home });
    const refuse = (args: string[]) => {
      const r = cli(['room', 'add', ...args], { home });
      return [r.code, r.stderr.split(';')[0]];
    };
    expect(refuse(['a', join(dir, 'nope')])).toEqual([1, `mycelium: ${join(dir, 'nope')} is not a folder`]);
    expect(refuse(['a', join(dir, 'README.md')])).toEqual([1, `mycelium: ${join(dir, 'README.md')} is not a folder`]);
    expect(refuse(['a', home])[0]).toBe(2);
    expect(refuse(['a', join(home, 'rooms', 'team')])[1]).toContain('overlaps the mycelium home');
    expect(refuse(['a', join(dir, '..')])[1]).toContain('overlaps the mycelium home'); // the temp folder holds the home
    cli(['room', 'add', 'notes', dir], { home });
    expect(refuse(['b', join(dir, 'guides')])).toEqual([2, `mycelium: ${join(dir, 'guides')} overlaps room 'notes' (${dir})`]);
    expect(refuse(['notes', vault()])).toEqual([2, "mycelium: room 'notes' already exists"]);
    expect(refuse(['team', vault()])[0]).toBe(2);
    expect(refuse(['../x', vault()])[0]).toBe(2);
  });

  it('a room folder that is a symlink made by hand is a room like any other', async () => {
    const home = tempDir();
    const dir = vault();
    cli(['room', 'create', 'team'], { home });
    symlinkSync(dir, join(home, 'rooms', 'linked'));
    const rooms = json(cli(['room', 'ls', '--json'], { home }).stdout).rooms;
    expect(rooms.map((r: { name: string; linked: boolean }) => [r.name, r.linked])).toEqual([['linked', true], ['team', false]]);
    // Kept open (MCP/HTTP without a daemon): a file written in the folder just before the call is found.
    expect((await searchMemories(home, 'linked', 'canary', { mode: 'bm25' }, true)).results.map((r) => r.key)).toEqual(['guides/deploy']);
    writeFileSync(join(dir, 'guides', 'rollback.md'), 'Roll back with the previous image tag.\n');
    expect((await searchMemories(home, 'linked', 'rollback', { mode: 'bm25' }, true)).results.map((r) => r.key)).toEqual(['guides/rollback']);
    expect(cli(['room', 'rm', 'linked'], { home }).code).toBe(0);
    expect(existsSync(join(dir, 'guides', 'rollback.md'))).toBe(true);
  });

  it('the room folder is followed, but a symlink inside an added room is not: refused, skipped, never indexed', async () => {
    const home = tempDir();
    const dir = vault();
    const outside = tempDir();
    writeFileSync(join(outside, 'secret.md'), 'the outside secret zebra\n');
    mkdirSync(join(outside, 'folder'));
    writeFileSync(join(outside, 'folder', 'x.md'), 'outside zebra x\n');
    symlinkSync(join(outside, 'secret.md'), join(dir, 'leak.md'));
    symlinkSync(join(outside, 'folder'), join(dir, 'linked-folder'));
    expect(cli(['room', 'add', 'notes', dir], { home }).code).toBe(0);

    const get = cli(['memory', 'get', 'leak'], { home });
    expect([get.code, get.stderr]).toEqual([2, expect.stringMatching(/'leak.md' in the room is a symlink/)]);
    const set = cli(['memory', 'set', 'linked-folder/y', 'written through'], { home });
    expect([set.code, set.stderr]).toEqual([2, expect.stringMatching(/'linked-folder' in the room is a symlink/)]);
    expect(existsSync(join(outside, 'folder', 'y.md'))).toBe(false);
    const ls = cli(['memory', 'ls', '--json'], { home });
    expect(json(ls.stdout).memories.map((m: { key: string }) => m.key)).toEqual(['README', 'guides/deploy']);
    expect(ls.stderr).toMatch(/leak\.md: skipped, it is a symlink/);
    expect([...scanRoom(join(home, 'rooms', 'notes')).keys()].sort()).toEqual(['README', 'guides/deploy']);
    const found = json(cli(['memory', 'search', 'zebra', '--mode', 'bm25', '--json'], { home }).stdout);
    expect(found.results).toEqual([]);
    expect((await searchMemories(home, 'notes', 'zebra', { mode: 'bm25' }, true)).results).toEqual([]);
    expect(readFileSync(join(outside, 'secret.md'), 'utf8')).toBe('the outside secret zebra\n');
  });

  it('the daemon watches an added room: an edit in the folder is an event and searchable', async () => {
    const home = tempDir();
    const dir = vault();
    await addRoom(home, 'notes', dir);
    await startDaemon(home);
    const subscriber = await startSubscriber(home, ['--room', 'notes']);
    writeFileSync(join(dir, 'guides', 'deploy.md'), '# Deploy\n\nWe now deploy with feature flags.\n'); // edited in place
    await waitFor(() => subscriber.lines().some((l) => l.key === 'guides/deploy' && l.type === 'updated'), 20_000, 'the update event');
    const found = json(cli(['memory', 'search', 'flags', '--mode', 'bm25', '--room', 'notes', '--json'], { home, env: { MYCELIUM_OFFLINE: '1' } }).stdout);
    expect(found.results.map((r: { key: string }) => r.key)).toEqual(['guides/deploy']);
  }, 60_000);

  it('an added room is served over HTTP and synced through git like any other', async () => {
    const home = tempDir();
    const dir = vault();
    cli(['room', 'add', 'notes', dir], { home });
    const server = await startServe(home);
    const listed = await (await fetch(`${server.url}/rooms`)).json();
    expect(listed.rooms.map((r: { name: string }) => r.name)).toEqual(['notes']);
    const memory = await (await fetch(`${server.url}/rooms/notes/memory/guides/deploy`)).json();
    expect(memory.value).toContain('canary');
    await server.stop();

    const remote = join(tempDir(), 'remote.git');
    spawnSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
    const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
    expect(cli(['room', 'remote', 'notes', remote], { home, env }).code).toBe(0);
    expect(cli(['sync', '--room', 'notes'], { home, env }).code).toBe(0);
    const other = tempDir();
    expect(cli(['room', 'clone', remote, 'copy'], { home: other, env }).code).toBe(0);
    expect(readFileSync(join(other, 'rooms', 'copy', 'guides', 'deploy.md'), 'utf8')).toContain('canary');
    expect(existsSync(join(dir, '.git'))).toBe(true); // git lives in the folder itself, as for any room
  }, 60_000);

  it('the stat walk takes the same files as memories as Room.keys, whatever the names in the folder', async () => {
    const dir = vault();
    const long = 'x'.repeat(200); // three segments of it are over the 512-character key limit, two are not
    // and a 201-character segment (over MAX_SEGMENT_BYTES) or a scratch-named folder (issue 9's rule) holds no key
    for (const path of ['bad: folder/x.md', '.hidden/y.md', 'a.md.md', 'ok/fine.md', 'ok/trailing .md', `${long}/${long}/${long}.md`, `${long}/short.md`, 'x.md/inner.md', `${'y'.repeat(201)}/z.md`, `ok/${'w'.repeat(201)}.md`, 'build.tmp/n.md', 'ok/a.swp/n.md']) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), 'text\n');
    }
    const keys = await memoryKeysIn(dir);
    expect(keys).toEqual(['README', 'guides/deploy', 'ok/fine', 'x.md/inner', `${long}/short`]);
    expect([...scanRoom(dir).keys()].sort()).toEqual(keys);
  });
});
