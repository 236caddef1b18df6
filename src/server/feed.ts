import { stat } from 'node:fs/promises';
import { parseMemoryFile, readHeader } from '../codec.js';
import { InvalidInputError } from '../errors.js';
import type { LoggedEvent } from '../events/change-event.js';
import { readEvents } from '../events/log.js';
import type { Room } from '../room.js';
import { fileFields, type FeedEntry, type FeedPage } from '../sync/feed-types.js';
import { scanRoom } from '../room-scan.js';

/** A cursor the event log no longer covers (compacted away): the client must read again from 0. */
export class FeedResetError extends InvalidInputError {
  /** 410 Gone: the cursor is older than the bounded event log; read again from 0. */
  override get httpStatus(): number {
    return 410;
  }
}

/** Whether entries carry their files: not at all, as `content` text only, or with bytes that are not UTF-8 in base64 too (fileFields). */
export type FeedContent = 'none' | 'text' | 'base64';

/** Files read at once. */
const READ_CONCURRENCY = 64;

/**
 * The HTTP change feed of a room, read from the daemon's event log. `since=0` starts with a snapshot
 * of every file (the log is bounded, so it cannot replay a room's whole history), paged by key, and
 * then continues with the log after the position the snapshot began at. Changes carry the file's
 * current hash (and content when asked), so replaying one twice is harmless.
 *
 * Cursors: `l.N` is position N in the event log (a bare event cursor N from the event stream works
 * too); `s.N.K` a snapshot page after key K (base64url) that continues at log position N.
 */
export async function feedPage(home: string, room: Room, since: string, limit: number, withContent: FeedContent): Promise<FeedPage> {
  if (since === '' || since === '0') return snapshotPage(room, await logPosition(home, room.name), '', limit, withContent);
  const snapshot = /^s\.(\d+)\.([A-Za-z0-9_-]*)$/.exec(since);
  if (snapshot) {
    return snapshotPage(room, Number(snapshot[1]), Buffer.from(snapshot[2], 'base64url').toString('utf8'), limit, withContent);
  }
  const position = /^(?:l\.)?(\d+)$/.exec(since);
  if (!position) throw new InvalidInputError(`invalid cursor '${since.slice(0, 40)}'; pass the cursor a previous call returned, or 0`);
  const read = await readEvents(home, room.name, Number(position[1]), limit + 1);
  if (read.truncated) {
    throw new FeedResetError(`cursor ${since} is older than the event log of room '${room.name}' keeps; read the feed again from 0`);
  }
  const events = read.events.slice(0, limit);
  const changes = await withFiles(room, events.flatMap(expandRename), withContent);
  const cursor = `l.${events.length > 0 ? events[events.length - 1].cursor : position[1]}`;
  return { changes, cursor, more: read.events.length > limit };
}

/** The newest position in the room's event log (0 when it has none). */
async function logPosition(home: string, room: string): Promise<number> {
  return (await readEvents(home, room, 0)).cursor;
}

async function snapshotPage(room: Room, position: number, after: string, limit: number, withContent: FeedContent): Promise<FeedPage> {
  const keys = [...scanRoom(room.dir).keys()].filter((k) => k > after).sort();
  const chosen = keys.slice(0, limit);
  const more = keys.length > limit;
  const pageCursor = (key: string) => `s.${position}.${Buffer.from(key).toString('base64url')}`;
  const entries: FeedEntry[] = chosen.map((key) => ({
    cursor: pageCursor(key),
    type: 'created',
    room: room.name,
    key,
    hash: null,
    version: 0,
    by: null,
    at: '',
  }));
  const changes = (await withFiles(room, entries, withContent)).filter((c) => c.hash !== null); // gone meanwhile
  return { changes, cursor: more ? pageCursor(chosen[chosen.length - 1]) : `l.${position}`, more };
}

/** A rename is, for a client, the old key gone and the new one there. */
function expandRename(event: LoggedEvent): FeedEntry[] {
  const base = { room: event.room, version: event.version, by: event.by, at: event.at, cursor: `l.${event.cursor}` };
  if (event.type !== 'renamed') return [{ ...base, type: event.type, key: event.key, hash: null }];
  return [
    { ...base, type: 'deleted', key: event.from!, hash: null },
    { ...base, type: 'created', key: event.key, hash: null },
  ];
}

/** Fills in each change's current file: hash, and content when asked; version, by and at for snapshot entries. */
async function withFiles(room: Room, entries: FeedEntry[], withContent: FeedContent): Promise<FeedEntry[]> {
  const out: FeedEntry[] = [];
  for (let i = 0; i < entries.length; i += READ_CONCURRENCY) {
    const batch = entries.slice(i, i + READ_CONCURRENCY);
    const raws = await Promise.all(batch.map((e) => (e.type === 'deleted' ? undefined : room.readRaw(e.key))));
    for (const [j, entry] of batch.entries()) {
      if (entry.type === 'deleted') {
        out.push(entry);
        continue;
      }
      const raw = raws[j];
      const filled: FeedEntry = { ...entry, hash: raw?.hash ?? null };
      if (raw && entry.at === '') {
        const header = readHeader(parseMemoryFile(raw.content).meta);
        filled.version = header.version;
        filled.by = header.updated_by;
        filled.at = (await stat(room.pathOf(entry.key)).catch(() => undefined))?.mtime.toISOString() ?? new Date().toISOString();
      }
      if (withContent !== 'none') Object.assign(filled, fileFields(raw?.bytes, withContent === 'base64'));
      out.push(filled);
    }
  }
  return out;
}
