import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMemoryFile } from '../codec.js';
import { contentHash } from '../content-hash.js';
import { InvalidInputError, ioError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { Room } from '../room.js';
import { scanRoom } from './room-scan.js';

/**
 * One change in a room's feed. A delete is a tombstone (`hash: null`), so a client that was away
 * learns about it. `cursor` is opaque: pass the last one back to get what came after.
 */
export interface FeedEntry {
  cursor: string;
  type: 'created' | 'updated' | 'deleted';
  room: string;
  key: string;
  hash: string | null;
  version: number;
  by: string | null;
  at: string;
}

export type FeedChange = Omit<FeedEntry, 'cursor' | 'room'>;

export interface FeedPage {
  changes: FeedEntry[];
  /** The cursor to pass next time (the last change's, or the one given when nothing is new). */
  cursor: string;
  more: boolean;
}

/** A cursor from another feed (the log was deleted and started again): the client must re-read from the start. */
export class FeedResetError extends InvalidInputError {}

interface Stored extends FeedChange {
  seq: number;
  /** [mtimeMs, size] of the file when logged: a restarted server trusts unchanged files without reading them. */
  stamp?: [number, number];
}

interface FileState {
  hash: string;
  mtimeMs: number;
  size: number;
}

/** How often a room with subscribers is checked for changes made outside the server. */
const POLL_MS = 500;

/**
 * The change feed of each room in a home: a durable append-only log in `$MYCELIUM_HOME/sync/feed/`,
 * fed by the server's own writes (`record`) and by a stat walk that catches every other source
 * (CLI, editors, git). A stand-in with the same shape as the daemon's event log, to be swapped for it.
 */
export class ChangeFeed {
  private readonly rooms = new Map<string, Promise<RoomFeed>>();
  constructor(readonly home: string) {}

  private feed(room: string): Promise<RoomFeed> {
    let feed = this.rooms.get(room);
    if (!feed) {
      feed = RoomFeed.load(this.home, room);
      this.rooms.set(room, feed);
      feed.catch(() => this.rooms.delete(room));
    }
    return feed;
  }

  /** Records a change the server made itself, so subscribers hear it at once. */
  async record(room: string, change: FeedChange): Promise<void> {
    await (await this.feed(room)).record(change);
  }

  /** Changes after `cursor` ('0' or '' for all), oldest first, at most `limit`; the room is checked first. */
  async since(room: string, cursor: string, limit: number): Promise<FeedPage> {
    const feed = await this.feed(room);
    await feed.reconcile();
    return feed.page(cursor, limit);
  }

  /** The cursor of the newest change (after checking the room). */
  async latest(room: string): Promise<string> {
    const feed = await this.feed(room);
    await feed.reconcile();
    return feed.latest();
  }

  /** Calls `listener` for every change after `cursor`, until the returned function is called. */
  async subscribe(room: string, cursor: string, listener: (entry: FeedEntry) => void): Promise<() => void> {
    const feed = await this.feed(room);
    await feed.reconcile();
    return feed.subscribe(cursor, listener);
  }

  close(): void {
    for (const feed of this.rooms.values()) feed.then((f) => f.close()).catch(() => {});
  }
}

class RoomFeed {
  private entries: Stored[] = [];
  private files = new Map<string, FileState>();
  private listeners = new Set<(entry: FeedEntry) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly room: Room,
    private readonly path: string,
    private epoch: string,
  ) {}

  static async load(home: string, name: string): Promise<RoomFeed> {
    const room = await Room.open(home, name);
    const dir = join(home, 'sync', 'feed');
    const path = join(dir, `${name}.jsonl`);
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('read', path, err);
    }
    const [header, ...lines] = text.split('\n').filter((l) => l.trim() !== '');
    const epoch = header ? (JSON.parse(header) as { epoch: string }).epoch : randomBytes(4).toString('hex');
    const feed = new RoomFeed(room, path, epoch);
    for (const line of lines) {
      try {
        feed.entries.push(JSON.parse(line) as Stored);
      } catch {
        // A torn last line from a crash: the stat walk below brings the state back.
      }
    }
    // The latest hash per key is what we last told clients; the walk reports anything newer.
    for (const entry of feed.entries) {
      if (entry.hash === null) feed.files.delete(entry.key);
      else feed.files.set(entry.key, { hash: entry.hash, mtimeMs: entry.stamp?.[0] ?? -1, size: entry.stamp?.[1] ?? -1 });
    }
    await mkdir(dir, { recursive: true });
    if (!header || feed.entries.length > 2 * feed.files.size + 1000) await feed.compact();
    await feed.reconcile();
    return feed;
  }

  record(change: FeedChange): Promise<void> {
    return this.serial(async () => {
      const known = this.files.get(change.key);
      if (change.type === 'deleted' ? !known : known?.hash === change.hash) return; // already in the feed
      const info = change.hash === null ? undefined : await stat(this.room.pathOf(change.key)).catch(() => undefined);
      if (change.hash === null) this.files.delete(change.key);
      else this.files.set(change.key, { hash: change.hash, mtimeMs: info?.mtimeMs ?? -1, size: info?.size ?? -1 });
      await this.append([change]);
    });
  }

  /** Compares the room on disk with the feed: files whose mtime and size are unchanged are trusted. */
  reconcile(): Promise<void> {
    return this.serial(async () => {
      const changes: FeedChange[] = [];
      const present = scanRoom(this.room.dir);
      for (const [key, info] of present) {
        const known = this.files.get(key);
        if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) continue;
        const content = await readFile(this.room.pathOf(key)).catch(() => undefined);
        if (content === undefined) continue;
        const hash = contentHash(content);
        this.files.set(key, { hash, mtimeMs: info.mtimeMs, size: info.size });
        if (known?.hash === hash) continue;
        const meta = parseMemoryFile(content.toString('utf8')).meta;
        changes.push({
          type: known ? 'updated' : 'created',
          key,
          hash,
          version: Number.isInteger(meta.version) ? (meta.version as number) : 0,
          by: typeof meta.updated_by === 'string' ? meta.updated_by : null,
          at: new Date(info.mtimeMs).toISOString(),
        });
      }
      for (const key of this.files.keys()) {
        if (present.has(key)) continue;
        if (await stat(this.room.pathOf(key)).catch(() => undefined)) continue; // appeared meanwhile
        this.files.delete(key);
        changes.push({ type: 'deleted', key, hash: null, version: this.lastVersion(key), by: null, at: new Date().toISOString() });
      }
      if (changes.length > 0) await this.append(changes);
    });
  }

  page(cursor: string, limit: number): FeedPage {
    const after = this.parseCursor(cursor);
    let start = this.entries.findIndex((e) => e.seq > after);
    if (start === -1) start = this.entries.length;
    const chosen = this.entries.slice(start, start + limit);
    return {
      changes: chosen.map((e) => this.toEntry(e)),
      cursor: chosen.length > 0 ? this.cursorOf(chosen[chosen.length - 1].seq) : this.cursorOf(after),
      more: start + limit < this.entries.length,
    };
  }

  latest(): string {
    return this.cursorOf(this.lastSeq());
  }

  subscribe(cursor: string, listener: (entry: FeedEntry) => void): () => void {
    const after = this.parseCursor(cursor);
    for (const entry of this.entries) if (entry.seq > after) listener(this.toEntry(entry));
    this.listeners.add(listener);
    this.timer ??= setInterval(() => void this.reconcile().catch(() => {}), POLL_MS);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private lastVersion(key: string): number {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i].key === key) return this.entries[i].version;
    return 0;
  }

  private lastSeq(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].seq : 0;
  }

  private cursorOf(seq: number): string {
    return seq === 0 ? '0' : `${this.epoch}.${seq}`;
  }

  private parseCursor(cursor: string): number {
    if (cursor === '' || cursor === '0') return 0;
    const match = /^([0-9a-f]+)\.(\d+)$/.exec(cursor);
    if (!match) throw new InvalidInputError(`invalid cursor '${cursor.slice(0, 40)}'; pass the cursor a previous call returned, or 0`);
    if (match[1] !== this.epoch || Number(match[2]) > this.lastSeq()) {
      throw new FeedResetError(`cursor '${cursor}' is from an earlier feed of room '${this.room.name}'; read the feed again from 0`);
    }
    return Number(match[2]);
  }

  private toEntry(stored: Stored): FeedEntry {
    const { seq, stamp: _stamp, ...change } = stored;
    return { cursor: this.cursorOf(seq), room: this.room.name, ...change };
  }

  private async append(changes: FeedChange[]): Promise<void> {
    let seq = this.lastSeq();
    const stored: Stored[] = changes.map((c) => {
      const file = c.hash === null ? undefined : this.files.get(c.key);
      return { seq: ++seq, ...c, ...(file && file.mtimeMs >= 0 ? { stamp: [file.mtimeMs, file.size] as [number, number] } : {}) };
    });
    try {
      await appendFile(this.path, stored.map((s) => JSON.stringify(s) + '\n').join(''));
    } catch (err) {
      throw ioError('write', this.path, err);
    }
    this.entries.push(...stored);
    for (const entry of stored) for (const listener of this.listeners) listener(this.toEntry(entry));
  }

  /** Keeps only the latest entry per key (tombstones included), so the log stays bounded. */
  private async compact(): Promise<void> {
    const latest = new Map<string, Stored>();
    for (const entry of this.entries) latest.set(entry.key, entry);
    this.entries = [...latest.values()].sort((a, b) => a.seq - b.seq);
    const lines = [JSON.stringify({ epoch: this.epoch }), ...this.entries.map((e) => JSON.stringify(e))];
    try {
      await writeFileAtomic(this.path, lines.join('\n') + '\n');
    } catch (err) {
      throw ioError('write', this.path, err);
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }
}
