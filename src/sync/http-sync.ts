import { isUtf8 } from 'node:buffer';
import { existsSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { contentHash } from '../content-hash.js';
import { MemoryNotFoundError, RoomExistsError, ioError } from '../errors.js';
import { processAlive } from '../process-alive.js';
import { withLock } from '../lock.js';
import { Room, roomDir, roomOptions } from '../room.js';
import { createRoom, selectIfNoneActive } from '../rooms.js';
import { isPlanFile, mergePlanFiles } from '../coord/plan/merge.js';
import { conflictCopy, conflictKey } from './conflict.js';
import { scanRoom } from '../room-scan.js';
import { fileBytes } from './feed-types.js';
import { FeedWasReset, RoomClient, type RemoteChange, type RemotePage } from './http-client.js';
import type { ConflictRecord, KeyChange, SyncReport } from './report.js';
import type { RemoteOptions } from './share.js';
import { cloneStagingRoot, readSyncState, syncStatePath, writeSyncState, type SyncState } from './sync-state.js';

/** Changes pulled per request (each with its file's content). */
const PAGE = 1000;

/** Keys written or pushed at once: requests and fsyncs overlap, each key still goes one step at a time. */
const PARALLEL = 8;

/**
 * A local memory that differs from the base: its bytes now, or null when it was deleted. Files are
 * handled as bytes from disk to wire and back, never decoded and re-encoded (a file that is not
 * UTF-8 would lose bytes), and hashed by contentHash of those bytes, as the server and git sync do.
 */
interface LocalChange {
  hash: string | null;
  content?: Buffer;
}

/**
 * Clones a room from a mycelium server: a new local room whose sync state remembers the URL (never
 * the token). The room is built in a staging home and renamed into `rooms/` only when complete, so
 * a clone that fails or is killed leaves no half room (and the next sync pushes nothing stray).
 */
export async function cloneHttpRoom(home: string, url: string, name: string, handle: string, options: RemoteOptions): Promise<SyncReport> {
  await new RoomClient(url, options.token, handle).changes('0', 1); // reachable, authorised, the room exists
  await removeDeadStagings(home);
  const staging = join(cloneStagingRoot(home), `clone-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const { room } = await createRoom(staging, name, roomOptions(options.env ?? {}));
    await writeSyncState(staging, name, { url: url.replace(/\/+$/, ''), cursor: '0', base: {} });
    const report = await syncHttpRoom(room, handle, options);
    // The room's rename is the moment it exists; its sync state follows (a kill in between leaves a
    // complete room that is not shared yet, never a partial one).
    try {
      await rename(room.dir, roomDir(home, name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY') throw new RoomExistsError(`room '${name}' was created meanwhile; clone again under another name`);
      throw ioError('rename into', roomDir(home, name), err);
    }
    await mkdir(dirname(syncStatePath(home, name)), { recursive: true });
    await rename(syncStatePath(staging, name), syncStatePath(home, name));
    await selectIfNoneActive(home, name);
    return report;
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
  }
}

/** Staging folders of clones whose process is gone (killed mid-clone): removed. */
async function removeDeadStagings(home: string): Promise<void> {
  const root = cloneStagingRoot(home);
  const names = await readdir(root).catch(() => [] as string[]);
  for (const entry of names) {
    const pid = Number(/^clone-(\d+)-/.exec(entry)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) await rm(join(root, entry), { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * Syncs a room with its server: find local changes against the base hashes, pull the change feed
 * since the last cursor, then push local changes guarded by their base hash. Both sides of a
 * conflict are kept exactly as with git: the server's version at the key, ours as a sibling.
 */
export async function syncHttpRoom(room: Room, handle: string, options: RemoteOptions): Promise<SyncReport> {
  return withLock(room.home, `sync/${room.name}`, async () => {
    const state = (await readSyncState(room.home, room.name))!;
    const session = new HttpSync(room, handle, state, new RoomClient(state.url, options.token, handle));
    return session.run();
  });
}

class HttpSync {
  private readonly incoming: KeyChange[] = [];
  private readonly outgoing: KeyChange[] = [];
  private readonly conflicts: ConflictRecord[] = [];
  private local = new Map<string, LocalChange>();
  /** Counts changes to base and stats, so `save` can tell whether there is anything to write. */
  private baseWrites = 0;
  private savedStamp: string;

  constructor(
    private readonly room: Room,
    private readonly handle: string,
    private readonly state: SyncState,
    private readonly client: RoomClient,
  ) {
    state.stats ??= {};
    this.savedStamp = `${state.cursor} 0`;
  }

  async run(): Promise<SyncReport> {
    // Ask for the first page while the room is scanned, so the server works while we stat. The scan
    // is synchronous and would hold the request back until it ends: wait until it is on the wire.
    let sent!: () => void;
    const onWire = new Promise<void>((resolve) => (sent = resolve));
    const firstPage = settle(this.client.changes(this.state.cursor, PAGE, sent));
    await Promise.race([onWire, firstPage]); // or it failed before it could be sent
    this.local = await this.localChanges();
    const committed = [...this.local.keys()];
    const fresh = this.state.cursor === '0' && Object.keys(this.state.base).length === 0 && this.local.size === 0;
    const writesBeforePull = this.baseWrites;
    await this.pull(firstPage, fresh);
    // Keep what the pull wrote before pushing. A pull that only moved the cursor (often past our own
    // last push) needs no save of its own: replaying those feed entries after a crash changes nothing.
    if (this.baseWrites !== writesBeforePull) await this.save();
    await inParallel([...this.local], ([key, mine]) => this.push(key, mine));
    await this.save();
    return {
      room: this.room.name,
      via: 'http',
      remote: this.state.url,
      committed,
      incoming: byKey(this.incoming),
      outgoing: byKey(this.outgoing),
      conflicts: this.conflicts,
    };
  }

  /** Keys whose file differs from the base hash; files with unchanged mtime and size are trusted. */
  private async localChanges(): Promise<Map<string, LocalChange>> {
    const changes = new Map<string, LocalChange>();
    const present = scanRoom(this.room.dir);
    for (const [key, info] of present) {
      const known = this.state.stats![key];
      if (known && known[0] === info.mtimeMs && known[1] === info.size && this.state.base[key]) continue;
      const raw = await this.room.readRaw(key);
      if (!raw) continue;
      if (raw.hash === this.state.base[key]) {
        this.state.stats![key] = [info.mtimeMs, info.size];
        this.baseWrites++;
        continue;
      }
      changes.set(key, { hash: raw.hash, content: raw.bytes });
    }
    for (const key of Object.keys(this.state.base)) if (!present.has(key)) changes.set(key, { hash: null });
    return changes;
  }

  private async pull(firstPage: Promise<RemotePage | Error>, fresh: boolean): Promise<void> {
    let cursor = this.state.cursor;
    let next: Promise<RemotePage | Error> | undefined = firstPage;
    // Reading from 0 starts with a snapshot of every file the server has: a base key it does not
    // mention was deleted there (after a 410, while our cursor was older than its event log).
    let whole = cursor === '0' ? new Set<string>() : undefined;
    for (;;) {
      const page: RemotePage | Error = await (next ?? settle(this.client.changes(cursor, PAGE)));
      next = undefined;
      if (page instanceof Error) {
        if (!(page instanceof FeedWasReset) || cursor === '0') throw page;
        cursor = '0'; // older than the server's event log keeps: read it all again (known content is skipped)
        whole = new Set();
        continue;
      }
      // Ask for the next page before applying this one: the server reads while we write.
      if (page.more) next = settle(this.client.changes(page.cursor, PAGE));
      for (const change of page.changes) whole?.add(change.key);
      if (fresh) await this.applyToEmptyRoom(page.changes);
      // Keys are independent, and each change carries its file as it is now, so the last change of
      // each key is all that matters; different keys are applied side by side.
      else await inParallel([...new Map(page.changes.map((c) => [c.key, c])).values()], (c) => this.applyRemote(c));
      cursor = page.cursor;
      if (!page.more) break;
    }
    if (whole) {
      for (const key of Object.keys(this.state.base)) {
        if (!whole.has(key) && !this.local.has(key)) await this.takeTheirs(key, null, undefined);
      }
    }
    this.state.cursor = cursor;
  }

  /**
   * A clone fills a room nobody else knows yet: files are written side by side without per-key
   * locks or fsync (an interrupted clone is removed, or its next sync finds every file already equal).
   */
  private async applyToEmptyRoom(changes: RemoteChange[]): Promise<void> {
    const latest = new Map(changes.map((c) => [c.key, c]));
    const writes: { change: RemoteChange; bytes: Buffer }[] = [];
    for (const change of latest.values()) {
      const bytes = change.type === 'deleted' ? undefined : fileBytes(change);
      if (bytes) writes.push({ change, bytes });
      else if (change.type === 'deleted' && this.state.base[change.key]) await this.applyRemote(change);
    }
    const folders = new Set(writes.map(({ change }) => dirname(this.room.pathOf(change.key))));
    for (const folder of folders) await mkdir(folder, { recursive: true });
    for (let i = 0; i < writes.length; i += 64) {
      await Promise.all(writes.slice(i, i + 64).map(({ change, bytes }) => writeFile(this.room.pathOf(change.key), bytes)));
    }
    for (const { change } of writes) {
      await this.setBase(change.key, change.hash);
      this.incoming.push({ type: 'created', key: change.key });
    }
  }

  private async applyRemote(change: RemoteChange): Promise<void> {
    const { key } = change;
    const theirs = change.type === 'deleted' ? null : change.hash;
    const bytes = theirs === null ? undefined : fileBytes(change);
    if (theirs !== null && !bytes) return; // gone since: its tombstone comes later
    // What we already have as the base (often our own last push, logged after we read the feed): the
    // server did not move, so a local edit of the key is pushed as usual, never taken for a conflict.
    if (theirs === (this.state.base[key] ?? null)) return;
    const mine = this.local.get(key);
    if (!mine) {
      await this.takeTheirs(key, theirs, bytes);
      return;
    }
    if (mine.hash === theirs) {
      await this.setBase(key, theirs); // both sides made the same change
      this.local.delete(key);
    } else if (theirs === null) {
      this.baseWrites++;
      delete this.state.base[key]; // deleted there, edited here: the edit stays and is pushed as new
    } else if (mine.hash === null) {
      this.local.delete(key); // deleted here, edited there: the edit stays
      await this.takeTheirs(key, theirs, bytes);
    } else {
      await this.keepBoth(key, mine, { hash: theirs, content: bytes! });
    }
  }

  /** Puts the server's version at the key (or removes it) and records it as the base. */
  private async takeTheirs(key: string, hash: string | null, content: Buffer | undefined): Promise<void> {
    // Named from this side: the server's feed may call a change 'created' that updates our copy.
    const type: KeyChange['type'] = hash === null ? 'deleted' : existsSync(this.room.pathOf(key)) ? 'updated' : 'created';
    if (hash === null) {
      await this.room.remove(key, this.handle).catch((err) => {
        if (!(err instanceof MemoryNotFoundError)) throw err;
      });
    } else {
      await this.room.writeRaw(key, content!, this.handle);
    }
    await this.setBase(key, hash);
    this.incoming.push({ type, key });
  }

  /** A conflict: the server's version stays at the key, ours moves to a sibling that is pushed as new. */
  private async keepBoth(key: string, mine: LocalChange, theirs: { hash: string; content: Buffer }): Promise<void> {
    // The plan merges task by task (issue 13) when both sides are text: the merge is ours now, pushed over their version.
    const plan = isPlanFile(key) && isUtf8(mine.content!) && isUtf8(theirs.content);
    const merged = plan ? mergePlanFiles(undefined, mine.content!.toString('utf8'), theirs.content.toString('utf8')) : undefined;
    if (merged !== undefined) {
      const bytes = Buffer.from(merged, 'utf8');
      await this.room.writeRaw(key, bytes, this.handle);
      await this.setBase(key, theirs.hash);
      this.local.set(key, { hash: contentHash(bytes), content: bytes });
      this.incoming.push({ type: 'updated', key });
      return;
    }
    const sibling = conflictKey(key, this.handle, mine.hash!);
    // A copy of bytes that are not UTF-8 is those bytes exactly (conflictCopy adds no conflict_of to them).
    const copied = conflictCopy(mine.content!, key, sibling);
    const copy = typeof copied === 'string' ? Buffer.from(copied, 'utf8') : Buffer.from(copied);
    await this.room.writeRaw(sibling, copy, this.handle);
    this.local.delete(key);
    this.local.set(sibling, { hash: contentHash(copy), content: copy });
    await this.takeTheirs(key, theirs.hash, theirs.content);
    this.conflicts.push({ key, conflict_key: sibling });
  }

  private async push(key: string, mine: LocalChange): Promise<void> {
    const base = this.state.base[key];
    if (mine.hash === null) {
      if (base === undefined) return;
      const result = await this.client.remove(key, base);
      if (result.ok) {
        await this.setBase(key, null);
        this.outgoing.push({ type: 'deleted', key });
        return;
      }
    } else {
      const result = await this.client.putRaw(key, mine.content!, base);
      if (result.ok) {
        await this.setBase(key, result.hash);
        this.outgoing.push({ type: base === undefined ? 'created' : 'updated', key });
        return;
      }
    }
    // The server moved on between our pull and our push: settle this key against its current version.
    const current = await this.client.getRaw(key);
    this.local.delete(key);
    if (mine.hash === null) {
      if (current) await this.takeTheirs(key, current.hash, current.content); // their edit beats our delete
      return;
    }
    if (!current) {
      this.baseWrites++;
      delete this.state.base[key]; // deleted there meanwhile: our edit stays
      return this.push(key, mine);
    }
    if (current.hash === mine.hash) return this.setBase(key, current.hash);
    await this.keepBoth(key, mine, current);
    if (this.local.has(key)) return this.push(key, this.local.get(key)!); // merged (the plan): push the merge
    const sibling = this.conflicts[this.conflicts.length - 1].conflict_key;
    await this.push(sibling, this.local.get(sibling)!);
  }

  /** Records the hash both sides agree on for a key, with the local file's stat so it need not be re-read. */
  private async setBase(key: string, hash: string | null): Promise<void> {
    this.baseWrites++;
    if (hash === null) {
      delete this.state.base[key];
      delete this.state.stats![key];
      return;
    }
    this.state.base[key] = hash;
    try {
      const info = statSync(this.room.pathOf(key));
      this.state.stats![key] = [info.mtimeMs, info.size];
    } catch {
      delete this.state.stats![key]; // gone already: the next sync reads it again
    }
  }

  /** Writes the state when something in it changed (a quiet sync of a big room writes nothing). */
  private async save(): Promise<void> {
    const stamp = `${this.state.cursor} ${this.baseWrites}`;
    if (stamp === this.savedStamp) return;
    await writeSyncState(this.room.home, this.room.name, this.state);
    this.savedStamp = stamp;
  }
}

/** A promise that resolves to its error instead of rejecting, so it can be started early and awaited later. */
function settle<T>(promise: Promise<T>): Promise<T | Error> {
  return promise.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
}

/** Runs `work` on every item, at most PARALLEL at a time; the first failure is thrown once all have settled. */
async function inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item).catch((err: unknown) => failures.push(err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

/** Changes sorted by key: keys are applied side by side, so the report is put in a stable order. */
function byKey(changes: KeyChange[]): KeyChange[] {
  return [...changes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
