import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../src/events/change-event.js';
import { EventLog, eventLogPath, readEvents } from '../src/events/log.js';
import { writeFileAtomic } from '../src/fs-atomic.js';
import { Room } from '../src/room.js';
import { keyGlob } from '../src/watch/glob.js';
import { ChangeNormalizer } from '../src/watch/normalizer.js';
import { isIgnoredPath, keyOfFile } from '../src/keys.js';
import { RoomState } from '../src/watch/room-state.js';
import { subscribe } from '../src/watch/subscribe.js';
import { waitFor } from './daemon-helpers.js';
import { homeWithRoom, tempDir } from './helpers.js';

const brief = (events: ChangeEvent[]) => events.map((e) => `${e.type} ${e.from ? `${e.from}->` : ''}${e.key}`);

describe('paths and globs', () => {
  it('ignores temp, swap, backup, hidden and .git paths, and maps files to keys', () => {
    for (const path of ['.a.md.123.abcd.tmp', 'x.tmp', 'a/.x.md.swp', 'notes.md~', '.#notes.md', '.git/HEAD', 'a/.hidden/b.md']) {
      expect(isIgnoredPath(path), path).toBe(true);
      expect(keyOfFile(path), path).toBeNull();
    }
    expect(keyOfFile('decisions/db.md')).toBe('decisions/db');
    expect(keyOfFile('readme.txt')).toBeNull();
    expect(keyOfFile('My Notes.md')).toBe('My Notes');
    expect(keyOfFile('My:Notes.md')).toBeNull();
  });

  it('matches * within a segment and ** across segments', () => {
    expect(keyGlob('decision/*')('decision/db')).toBe(true);
    expect(keyGlob('decision/*')('decision/db/old')).toBe(false);
    expect(keyGlob('decision/**')('decision/db/old')).toBe(true);
    expect(keyGlob('**')('a/b/c')).toBe(true);
    expect(keyGlob('**/db')('db')).toBe(true);
    expect(keyGlob('**/db')('x/y/db')).toBe(true);
    expect(keyGlob('d?')('db')).toBe(true);
    expect(keyGlob('a.b')('axb')).toBe(false);
  });
});

describe('room state: raw changes become domain events', () => {
  async function room() {
    const home = homeWithRoom();
    const opened = await Room.open(home, 'team');
    const state = new RoomState('team', opened.dir);
    return { home, room: opened, state, dir: opened.dir };
  }

  it('reports created, updated (with the writer), deleted only once a stat confirms it', async () => {
    const { room: r, state, dir } = await room();
    await r.set('a', 'one', { handle: 'ana' });
    expect(await state.apply(['a'])).toMatchObject([{ type: 'created', key: 'a', version: 1, by: 'ana', cursor: null }]);
    await r.set('a', 'two', { handle: 'bo' });
    expect(await state.apply(['a'])).toMatchObject([{ type: 'updated', key: 'a', version: 2, by: 'bo' }]);
    // A raw unlink for a file that is still there (an editor's unlink+add) is no delete.
    expect(await state.apply(['a'])).toEqual([]);
    appendFileSync(join(dir, 'a.md'), 'hand edit\n');
    expect(await state.apply(['a'])).toMatchObject([{ type: 'updated', key: 'a', version: 2, by: null }]);
    unlinkSync(join(dir, 'a.md'));
    expect(await state.apply(['a'])).toMatchObject([{ type: 'deleted', key: 'a', version: 2, by: null }]);
    expect(await state.apply(['a'])).toEqual([]);
  });

  it('pairs a delete and a create with the same bytes in one batch as a rename', async () => {
    const { state, dir } = await room();
    writeFileSync(join(dir, 'old.md'), 'same bytes\n');
    writeFileSync(join(dir, 'other.md'), 'other\n');
    await state.apply(['old', 'other']);
    mkdirSync(join(dir, 'archive'));
    renameSync(join(dir, 'old.md'), join(dir, 'archive', 'new.md'));
    const events = await state.apply(['old', 'archive/new']);
    expect(brief(events)).toEqual(['renamed old->archive/new']);
    // Different bytes: a create and a delete, not a rename.
    writeFileSync(join(dir, 'third.md'), 'not the same\n');
    unlinkSync(join(dir, 'other.md'));
    expect(brief(await state.apply(['other', 'third'])).sort()).toEqual(['created third', 'deleted other']);
  });

  it('treats a file replaced by a folder of the same name as deleted', async () => {
    const { state, dir } = await room();
    writeFileSync(join(dir, 'x.md'), 'file\n');
    await state.apply(['x']);
    unlinkSync(join(dir, 'x.md'));
    mkdirSync(join(dir, 'x.md'));
    writeFileSync(join(dir, 'x.md', 'inner.md'), 'inside\n');
    expect(brief(await state.apply(['x', 'x.md/inner']))).toEqual(['created x.md/inner', 'deleted x']);
  });

  it('reconciles a whole room against what it knew, and records broken frontmatter', async () => {
    const { state, dir, home } = await room();
    writeFileSync(join(dir, 'a.md'), 'a\n');
    writeFileSync(join(dir, 'b.md'), 'b\n');
    writeFileSync(join(dir, '.a.md.1.ff.tmp'), 'temp\n');
    expect(brief(await state.reconcile()).sort()).toEqual(['created a', 'created b']);
    expect(await state.reconcile()).toEqual([]);
    const saved = join(home, 'state.json');
    await state.save(saved, 0);
    writeFileSync(join(dir, 'a.md'), '---\nkey: [unclosed\n---\nbody\n');
    rmSync(join(dir, 'b.md'));
    const restarted = await RoomState.load('team', dir, saved);
    expect(brief(await restarted.reconcile()).sort()).toEqual(['deleted b', 'updated a']);
    expect([...restarted.problems.values()]).toEqual([{ path: join(dir, 'a.md'), reason: expect.stringContaining('broken frontmatter') }]);
  });
});

describe('normalizer: debounce and bounded batches', () => {
  it('reports a failed batch through its log, never by printing, takes it back and retries it until it goes through', async () => {
    const home = homeWithRoom();
    const dir = (await Room.open(home, 'team')).dir;
    const lines: string[] = [];
    const delivered: string[] = [];
    let failures = 2;
    const normalizer = new ChangeNormalizer(
      new RoomState('team', dir),
      async (events) => {
        if (failures-- > 0) throw new Error('disk full');
        delivered.push(...events.map((e) => `${e.type} ${e.key}`));
      },
      { debounceMs: 10, log: (line) => lines.push(line) },
    );
    writeFileSync(join(dir, 'k.md'), 'x\n');
    normalizer.touch('k');
    await waitFor(() => lines.length > 0, 5_000, 'the log line');
    expect(lines).toEqual(["watcher error in room 'team': disk full; 1 changes kept, attempt 2 in 250 ms"]);
    expect(normalizer.failure).toMatchObject({ error: 'disk full', attempts: 1, pending_retry: true, recovered_at: null });
    expect(normalizer.pending).toBe(1); // the key is dirty again: the state took the batch back
    await waitFor(() => delivered.length > 0, 5_000, 'the retried batch');
    expect(delivered).toEqual(['created k']); // the same event, once, after two failures (250 ms, then 500 ms)
    expect(lines.slice(1)).toEqual(["watcher error in room 'team': disk full; 1 changes kept, attempt 3 in 500 ms", "watcher in room 'team' caught up after 2 failed attempts"]);
    expect(normalizer.failure).toMatchObject({ attempts: 2, pending_retry: false, retry_at: null, recovered_at: expect.any(String) });
    expect(normalizer.pending).toBe(0);
    await normalizer.close();
  });

  it('reads a path once after its last raw event (trailing edge), so the last write counts', async () => {
    const home = homeWithRoom();
    const dir = (await Room.open(home, 'team')).dir;
    const seen: ChangeEvent[] = [];
    const normalizer = new ChangeNormalizer(new RoomState('team', dir), async (events) => void seen.push(...events), { debounceMs: 30 });
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(dir, 'k.md'), `write ${i}\n`);
      normalizer.touch('k');
    }
    expect(normalizer.pending).toBe(1);
    expect(normalizer.lagMs()).not.toBeNull();
    await waitFor(() => seen.length > 0, 5_000, 'the event');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(brief(seen)).toEqual(['created k']);
    expect(normalizer.lagMs()).toBeNull();
    await normalizer.close();
  });

  it('reads a file that never goes quiet at least once a second', async () => {
    const home = homeWithRoom();
    const dir = (await Room.open(home, 'team')).dir;
    const seen: ChangeEvent[] = [];
    const normalizer = new ChangeNormalizer(new RoomState('team', dir), async (events) => void seen.push(...events), { debounceMs: 50 });
    const started = Date.now();
    for (let i = 0; Date.now() - started < 1_600; i++) {
      appendFileSync(join(dir, 'log.md'), `line ${i}\n`);
      normalizer.touch('log');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(seen.length).toBeGreaterThanOrEqual(1);
    await normalizer.close();
  });

  it('processes a burst in batches of at most batchMax paths', async () => {
    const home = homeWithRoom();
    const dir = (await Room.open(home, 'team')).dir;
    const batches: number[] = [];
    let events = 0;
    const normalizer = new ChangeNormalizer(
      new RoomState('team', dir),
      async (batch, keys) => {
        batches.push(keys.length);
        events += batch.length;
      },
      { debounceMs: 5, batchMax: 100 },
    );
    for (let i = 0; i < 450; i++) {
      writeFileSync(join(dir, `f${i}.md`), `file ${i}\n`);
      normalizer.touch(`f${i}`);
    }
    await normalizer.drain();
    expect(events).toBe(450);
    expect(Math.max(...batches)).toBeLessThanOrEqual(100);
    expect(batches.length).toBeGreaterThanOrEqual(5);
    await normalizer.close();
  });
});

describe('normalizer: searches read side by side', () => {
  it('runs readers together, never beside a batch or exclusive work, and concurrent drains share one batch', async () => {
    const home = homeWithRoom();
    const dir = (await Room.open(home, 'team')).dir;
    const log: string[] = [];
    let batches = 0;
    const normalizer = new ChangeNormalizer(
      new RoomState('team', dir),
      async (_events, keys) => {
        batches++;
        log.push(`batch ${keys.join()}`);
        await new Promise((resolve) => setTimeout(resolve, 30)); // a reader must not slip in here
        log.push('batch done');
      },
      { debounceMs: 60_000 }, // only the drains read the file
    );
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const reader = (name: string) => async () => {
      log.push(`${name} starts`);
      await gate;
      log.push(`${name} ends`);
      return name;
    };
    writeFileSync(join(dir, 'a.md'), 'a\n');
    normalizer.touch('a');
    const searches = ['r1', 'r2', 'r3'].map(async (name) => {
      await normalizer.drain();
      return normalizer.shared(reader(name));
    });
    await waitFor(() => log.includes('r3 starts'), 5_000, 'three readers running at once');
    const write = normalizer.exclusive(async () => void log.push('write'));
    const late = normalizer.shared(reader('r4')); // queued after the writer: runs after it
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(log).not.toContain('write');
    open();
    expect(await Promise.all([...searches, write, late])).toEqual(['r1', 'r2', 'r3', undefined, 'r4']);
    expect(batches).toBe(1);
    expect(log).toEqual(['batch a', 'batch done', 'r1 starts', 'r2 starts', 'r3 starts', 'r1 ends', 'r2 ends', 'r3 ends', 'write', 'r4 starts', 'r4 ends']);
    await normalizer.close();
  });
});

describe('event log', () => {
  it('hands out one cursor sequence for the home, replays after a cursor, and survives a torn line', async () => {
    const home = tempDir();
    const log = await EventLog.open(home);
    const event = (key: string): ChangeEvent => ({ type: 'created', room: 'a', key, version: 1, by: null, at: new Date().toISOString(), cursor: null });
    await log.append('a', [event('x'), event('y')]);
    await log.append('b', [{ ...event('z'), room: 'b' }]);
    expect((await readEvents(home, 'a', 0)).events.map((e) => [e.key, e.cursor])).toEqual([['x', 1], ['y', 2]]);
    expect(await readEvents(home, 'a', 1)).toMatchObject({ events: [{ key: 'y' }], cursor: 2, truncated: false });
    expect(await readEvents(home, 'b', 0)).toMatchObject({ events: [{ key: 'z', cursor: 3 }], cursor: 3 });
    expect(await readEvents(home, 'none', 7)).toEqual({ events: [], cursor: 7, truncated: false });
    appendFileSync(eventLogPath(home, 'a'), '{"type":"creat'); // a crash mid-append
    const reopened = await EventLog.open(home);
    expect(reopened.cursor).toBe(3);
    await reopened.append('a', [event('w')]);
    expect((await readEvents(home, 'a', 2)).events.map((e) => [e.key, e.cursor])).toEqual([['w', 4]]);
  });

  it('stays bounded and tells a reader whose cursor fell off the end', async () => {
    const home = tempDir();
    const log = await EventLog.open(home, 10);
    for (let i = 0; i < 40; i++) {
      await log.append('a', [{ type: 'updated', room: 'a', key: 'k', version: i, by: null, at: '', cursor: null }]);
    }
    const all = await readEvents(home, 'a', 0);
    expect(all.events.length).toBeLessThanOrEqual(15);
    expect(all.events.at(-1)!.cursor).toBe(40);
    expect(all.truncated).toBe(true);
    expect((await readEvents(home, 'a', 39)).truncated).toBe(false);
  });
});

describe('subscribe in-process (no daemon)', () => {
  it('hears hand edits, editor atomic saves, sed -i, renames and deletes, and nothing from temp files', async () => {
    const home = homeWithRoom();
    const dir = (await Room.open(home, 'team')).dir;
    writeFileSync(join(dir, 'notes.md'), 'first\n');
    const controller = new AbortController();
    const seen: ChangeEvent[] = [];
    let ready = false;
    const done = (async () => {
      for await (const event of subscribe(home, {
        room: 'team',
        signal: controller.signal,
        onNotice: (n) => (ready ||= n.kind === 'ready' && n.source === 'in-process'),
      })) seen.push(event);
    })();
    await waitFor(() => ready, 10_000, 'subscription');
    const next = async (count: number) => waitFor(() => seen.length >= count, 10_000, `${count} events`);
    await writeFileAtomic(join(dir, 'notes.md'), 'saved atomically\n');
    await next(1);
    execFileSync('sed', ['-i', 's/saved/edited/', join(dir, 'notes.md')]);
    await next(2);
    writeFileSync(join(dir, 'notes.md.swp'), 'swap');
    writeFileSync(join(dir, 'notes.md~'), 'backup');
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'x.md'), 'git');
    renameSync(join(dir, 'notes.md'), join(dir, 'moved.md'));
    await next(3);
    unlinkSync(join(dir, 'moved.md'));
    await next(4);
    controller.abort();
    await done;
    expect(brief(seen)).toEqual(['updated notes', 'updated notes', 'renamed notes->moved', 'deleted moved']);
    expect(seen.every((e) => e.cursor === null)).toBe(true);
  });
});
