import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvents } from '../src/events/log.js';
import { InvalidKeyError } from '../src/errors.js';
import { gitExcludePatterns, isValidKey, keyOfFile, memoryPath, normalizeKey, validateRoomName } from '../src/keys.js';
import { Room } from '../src/room.js';
import { memoryKeysIn, scanRoom, walkMemoryFiles, walkMemoryFilesSync } from '../src/room-scan.js';
import { registerAgent, listAgents } from '../src/coord/agents.js';
import { listClaims } from '../src/coord/claims/store.js';
import { messageRows } from '../src/coord/messages/index-cache.js';
import { messageKey } from '../src/coord/messages/format.js';
import { messageKeys, sendMessage } from '../src/coord/messages/store.js';
import { startDaemon, waitFor } from './daemon-helpers.js';
import { cli, homeWithRoom, tempDir } from './helpers.js';

const noIdentity = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

function git(args: string[], cwd: string): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...noIdentity } });
  if (result.status !== 0 && !(args[0] === 'check-ignore' && result.status === 1)) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Keys at the edges of the grammar: scratch endings on the last segment (its file ends in .md), dots, case, depth. */
const ACCEPTED = ['notes.tmp', 'x.swp', 'y.swx', 'a.md/b', 'dir.tmp.ok/n', 'UPPER/lower', 'a-b_c.d/e', '0/1', 'deep/er/still/deeper/k', 'tmp/swp'];
/** Keys whose folder has a name the watcher and git ignore: they used to be accepted, listed, and never watched or synced. */
const REFUSED = ['build.tmp/notes', 'a.swp/b', 'c.swx/d', 'x/y.tmp/z'];

describe('one rule for which file is a memory', () => {
  it('refuses, at normalizeKey, every key whose folder the watcher or git would ignore', () => {
    for (const key of REFUSED) {
      expect(() => normalizeKey(key), key).toThrow(InvalidKeyError);
      expect(() => normalizeKey(key), key).toThrow(/scratch name the watcher and git ignore/);
      expect(isValidKey(key), key).toBe(false);
      expect(keyOfFile(`${key}.md`), key).toBeNull();
    }
    for (const key of ACCEPTED) {
      expect(normalizeKey(key)).toBe(key);
      expect(keyOfFile(`${key}.md`)).toBe(key);
    }
    expect(() => validateRoomName('team.tmp')).toThrow(InvalidKeyError);
  });

  it('git ignores exactly what the rule ignores (checked with real git against the generated exclude list)', () => {
    const dir = tempDir();
    git(['init', '-q', dir], '/');
    writeFileSync(join(dir, '.git', 'info', 'exclude'), gitExcludePatterns().join('\n') + '\n');
    const paths = [...ACCEPTED, ...REFUSED].map((key) => `${key}.md`);
    const ignored = git(['check-ignore', '--no-index', ...paths], dir).split('\n').filter(Boolean);
    expect(ignored.sort()).toEqual(REFUSED.map((key) => `${key}.md`).sort());
    // and our own temp files, swap and backup files stay out of commits
    const scratch = ['.db.md.123.abc.tmp', 'db.md.swp', 'db.md~', '.#db.md', 'db.md.swx'];
    expect(git(['check-ignore', '--no-index', ...scratch], dir).split('\n').filter(Boolean).sort()).toEqual([...scratch].sort());
  });

  it('the sync and the async walker and Room.keys find the same files, and warn about what they skip', async () => {
    const dir = tempDir();
    for (const key of [...ACCEPTED, ...REFUSED]) {
      const path = join(dir, ...key.split('/')) + '.md';
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, `value of ${key}\n`);
    }
    writeFileSync(join(dir, 'My:Notes.md'), 'not a key\n');
    writeFileSync(join(dir, '.hidden.md'), 'hidden\n');
    const expected = [...ACCEPTED].sort();
    expect(walkMemoryFilesSync(dir).map((f) => f.key).sort()).toEqual(expected);
    expect((await walkMemoryFiles(dir)).map((f) => f.key).sort()).toEqual(expected);
    expect([...scanRoom(dir).keys()].sort()).toEqual(expected);
    const warnings: string[] = [];
    expect(await memoryKeysIn(dir, warnings)).toEqual(expected);
    expect(warnings.some((w) => w.includes('My:Notes.md') && w.includes('not a valid key'))).toBe(true);
    for (const folder of ['build.tmp', 'a.swp', 'c.swx', 'y.tmp']) expect(warnings.some((w) => w.includes(folder) && w.includes('scratch name'))).toBe(true);
    expect(warnings.some((w) => w.includes('.hidden'))).toBe(false);
    for (const { key, path } of await walkMemoryFiles(dir)) expect(path).toBe(memoryPath(dir, key));
    expect((await walkMemoryFiles(dir, { under: 'deep/er/' })).map((f) => f.key)).toEqual(['deep/er/still/deeper/k']);
  });

  it('every key set accepts is listed, watched, indexed and synced', async () => {
    const home = homeWithRoom();
    const env = { MYCELIUM_OFFLINE: '1' };
    const daemon = await startDaemon(home);
    for (const [i, key] of ACCEPTED.entries()) {
      const set = cli(['memory', 'set', key, `word${i}unique marker`, '--room', 'team', '--handle', 'ana'], { home, env });
      expect(set.code, set.stderr).toBe(0);
    }
    for (const key of REFUSED) {
      const set = cli(['memory', 'set', key, 'never stored', '--room', 'team', '--handle', 'ana'], { home, env });
      expect(set.code, key).toBe(2);
      expect(set.stderr).toMatch(/scratch name the watcher and git ignore; rename the folder/);
    }
    // listed
    const listed = JSON.parse(cli(['memory', 'ls', '--room', 'team', '--json'], { home, env }).stdout);
    expect(listed.memories.map((m: { key: string }) => m.key)).toEqual([...ACCEPTED].sort());
    // watched: the daemon logs an event for each key and counts each one
    await waitFor(async () => {
      const seen = new Set((await readEvents(home, 'team')).events.map((e) => e.key));
      return ACCEPTED.every((key) => seen.has(key));
    }, 30_000, 'an event for every key');
    const status = JSON.parse(cli(['status', '--json'], { home, env }).stdout);
    expect(status.daemon.running).toBe(true);
    expect(status.rooms.find((r: { name: string }) => r.name === 'team').memories).toBe(ACCEPTED.length);
    // indexed: a search for every key's own word finds every key
    const words = ACCEPTED.map((_, i) => `word${i}unique`).join(' ');
    const found = cli(['memory', 'search', words, '--room', 'team', '--json', '--limit', '50'], { home, env });
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout).results.map((r: { key: string }) => r.key).sort()).toEqual([...ACCEPTED].sort());
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    // synced: a git remote receives every file
    const remote = join(tempDir(), 'team.git');
    git(['init', '-q', '--bare', '-b', 'main', remote], '/');
    const shared = cli(['room', 'remote', 'team', remote, '--handle', 'ana'], { home, env: { ...env, ...noIdentity } });
    expect(shared.code, shared.stderr).toBe(0);
    const synced = cli(['sync', '--room', 'team', '--json', '--handle', 'ana'], { home, env: { ...env, ...noIdentity } });
    expect(synced.code, synced.stderr).toBe(0);
    const files = git(['ls-tree', '-r', '--name-only', 'main'], remote).split('\n').filter(Boolean).sort();
    expect(files).toEqual(ACCEPTED.map((key) => `${key}.md`).sort());
    // and a clone reads every key back
    const clone = await Room.open(home, 'team');
    expect(await clone.keys()).toEqual([...ACCEPTED].sort());
  }, 120_000);

  it('no walker and no coordination listing follows a symlink or opens a special file in a room', async () => {
    const home = homeWithRoom();
    const room = await Room.open(home, 'team');
    const outside = tempDir();
    writeFileSync(join(outside, 'secret.md'), '---\nhandle: eve\n---\nsecret\n');
    mkdirSync(join(outside, 'folder'));
    writeFileSync(join(outside, 'folder', 'k.md'), 'outside\n');
    await room.set('notes/real', 'real', { handle: 'ana' });
    await registerAgent(room, 'ana', { role: 'dev' });
    const sent = await sendMessage(room, { from: 'ana', text: 'hello' });
    const day = sent.id.slice(0, 10);
    symlinkSync(join(outside, 'secret.md'), join(room.dir, 'notes', 'linked.md'));
    symlinkSync(join(outside, 'folder'), join(room.dir, 'notes', 'linkdir'));
    symlinkSync(join(outside, 'folder'), join(room.dir, 'via'));
    symlinkSync(join(outside, 'secret.md'), join(room.dir, 'agents', 'eve.md'));
    symlinkSync(join(outside, 'secret.md'), join(room.dir, 'messages', day, '120000.000Z-eve-abcd.md'));
    mkdirSync(join(room.dir, 'claims'), { recursive: true });
    symlinkSync(join(outside, 'secret.md'), join(room.dir, 'claims', 'c-linked.md'));
    spawnSync('mkfifo', [join(room.dir, 'notes', 'pipe.md')]);

    const warnings: string[] = [];
    expect(await room.keys(warnings, 'notes')).toEqual(['notes/real']);
    expect(warnings.some((w) => w.includes('linked.md') && w.includes('symlink'))).toBe(true);
    expect(warnings.some((w) => w.includes('pipe.md') && w.includes('not a regular file'))).toBe(true);
    expect(await room.keys([], 'via')).toEqual([]); // a walk never starts through a link either
    expect(walkMemoryFilesSync(room.dir, { under: 'via/' })).toEqual([]);
    expect([...scanRoom(room.dir).keys()].filter((k) => k.startsWith('notes/'))).toEqual(['notes/real']);
    expect((await listAgents(room)).map((a) => a.handle)).toEqual(['ana']);
    expect(await messageKeys(room)).toEqual([messageKey(sent.id)]);
    expect((await messageRows(room)).map((r) => r.from)).toEqual(['ana']);
    expect((await listClaims(room, { all: true })).claims).toEqual([]);
  });
});
