import { appendFileSync, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { walkRoom, type FolderListing } from '../src/room-scan.js';
import { IndexFileReader } from '../src/search/index-file.js';
import { cli, homeWithRoom, tempDir } from './helpers.js';

const offline = { MYCELIUM_OFFLINE: '1', MYCELIUM_MODEL_DIR: undefined };
const hourAgo = new Date(Date.now() - 3_600_000);
const found = (home: string, query: string) => {
  const result = cli(['memory', 'search', query, '--mode', 'bm25', '--json'], { home, env: offline });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout).results.map((r: { key: string }) => r.key).sort();
};
const walked = (dir: string, known?: (prefix: string) => FolderListing | undefined) => {
  const keys: string[] = [];
  const recorded = new Map<string, FolderListing>();
  walkRoom(dir, (key) => keys.push(key), { known, record: (prefix, listing) => recorded.set(prefix, listing) });
  return { keys: keys.sort(), recorded };
};

describe('folder listings: a cold search reads only folders that changed', () => {
  it('a hand edit in place, an added and a removed file are all seen by a cold CLI search while unchanged folders are not read', () => {
    const home = homeWithRoom();
    const room = join(home, 'rooms', 'team');
    mkdirSync(join(room, 'notes'));
    writeFileSync(join(room, 'top.md'), 'alpha words\n');
    writeFileSync(join(room, 'notes', 'a.md'), 'beta words\n');
    writeFileSync(join(room, 'notes', 'b.md'), 'gamma words\n');
    for (const dir of [room, join(room, 'notes')]) utimesSync(dir, hourAgo, hourAgo); // folders last changed long ago
    expect(cli(['memory', 'reindex'], { home, env: offline }).code).toBe(0);
    const reader = new IndexFileReader(join(home, 'index', 'team', 'index.bin'));
    expect(reader.folder('')?.entries.sort()).toEqual(['notes/', 'top']);
    expect(reader.folder('notes/')?.entries.sort()).toEqual(['notes/a', 'notes/b']);
    reader.close();

    // Edited in place by hand: the file's time moves, its folder's does not.
    const folderTime = statSync(join(room, 'notes')).mtimeMs;
    appendFileSync(join(room, 'notes', 'a.md'), 'zeppelin\n');
    expect(statSync(join(room, 'notes')).mtimeMs).toBe(folderTime);
    expect(found(home, 'zeppelin')).toEqual(['notes/a']);

    // Added and removed: the folder's time moves, so it is read again.
    writeFileSync(join(room, 'notes', 'c.md'), 'zeppelin again\n');
    rmSync(join(room, 'notes', 'b.md'));
    expect(found(home, 'zeppelin')).toEqual(['notes/a', 'notes/c']);
    expect(found(home, 'gamma')).toEqual([]);
    // A new folder inside an unchanged one's parent: the parent's time moves.
    mkdirSync(join(room, 'later'));
    writeFileSync(join(room, 'later', 'd.md'), 'zeppelin three\n');
    expect(found(home, 'zeppelin')).toEqual(['later/d', 'notes/a', 'notes/c']);
  });

  it('the walk takes an unchanged folder from its listing (and stats each file), and reads a changed one', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'one.md'), 'x');
    writeFileSync(join(dir, 'sub', 'two.md'), 'y');
    for (const d of [dir, join(dir, 'sub')]) utimesSync(d, hourAgo, hourAgo);
    const first = walked(dir);
    expect(first.keys).toEqual(['one', 'sub/two']);
    expect(first.recorded.get('')?.entries.sort()).toEqual(['one', 'sub/']);

    // A listing whose stamp matches is trusted: here it leaves `one` out, so `one` is not visited…
    const stamp = statSync(dir);
    const partial = { mtimeMs: stamp.mtimeMs, ino: stamp.ino, entries: ['sub/'] };
    expect(walked(dir, (p) => (p === '' ? partial : first.recorded.get(p))).keys).toEqual(['sub/two']);
    // …a listed file that is gone is not visited (each file is still stat-ed)…
    rmSync(join(dir, 'sub', 'two.md'));
    utimesSync(join(dir, 'sub'), hourAgo, hourAgo);
    expect(walked(dir, (p) => first.recorded.get(p)).keys).toEqual(['one']);
    // …and a listing whose stamp differs is not: the folder is read.
    writeFileSync(join(dir, 'three.md'), 'z');
    const again = walked(dir, (p) => first.recorded.get(p));
    expect(again.keys).toEqual(['one', 'three']);
    // A folder changed just now is not recorded: a change in the same clock tick could leave its time as it is.
    expect(again.recorded.has('')).toBe(false);
    expect(again.recorded.has('sub/')).toBe(true);
  });
});
