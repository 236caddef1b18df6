import { lstat, readFile } from 'node:fs/promises';
import { parseMemoryFile, readHeader } from '../codec.js';
import type { ChangeEvent } from '../events/change-event.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { readConfined } from '../fs-confined.js';
import { UnsafeFileError } from '../errors.js';
import { memoryPath } from '../keys.js';
import { walkMemoryFiles } from '../room-scan.js';
import { contentHash } from '../content-hash.js';

/** Files read at once when a batch is applied. */
const LOOK_CONCURRENCY = 32;

/** What the watcher last saw of one memory file. */
export interface FileFacts {
  hash: string;
  size: number;
  mtimeMs: number;
  version: number;
}

/** A file the room cannot use as it is: broken frontmatter, unreadable, not a valid key. */
export interface FileProblem {
  path: string;
  reason: string;
}

/**
 * What a batch changed in the known state, key by key (the facts before it; undefined: unknown
 * before): given to `apply` or `reconcile`, it lets `restore` take the batch back when its events
 * could not be handed on, so re-reading those keys yields the same events again.
 */
export type StateUndo = Map<string, FileFacts | undefined>;

type Seen = { kind: 'file'; facts: FileFacts; by: string | null } | { kind: 'gone'; folder?: boolean } | { kind: 'unreadable'; reason: string };

/**
 * The known state of one room's files, and the one place where "what changed on disk" becomes
 * domain events: created, updated, deleted (only after a stat confirms the file is gone) and
 * renamed (a delete and a create with the same content hash in one batch). Saved to disk so a
 * restarted daemon reports what changed while it was down.
 */
export class RoomState {
  readonly files = new Map<string, FileFacts>();
  readonly problems = new Map<string, FileProblem>();
  lastReconcile: string | null = null;

  constructor(
    readonly room: string,
    readonly dir: string,
  ) {}

  /** Loads the saved state; a missing or corrupt file means "nothing known" (a full diff follows). */
  static async load(room: string, dir: string, statePath: string): Promise<RoomState> {
    const state = new RoomState(room, dir);
    try {
      const saved = JSON.parse(await readFile(statePath, 'utf8')) as { cursor: number; files: Record<string, FileFacts> };
      for (const [key, facts] of Object.entries(saved.files ?? {})) state.files.set(key, facts);
      state.savedCursor = Number.isInteger(saved.cursor) ? saved.cursor : 0;
    } catch {
      // No saved state yet, or torn by a crash: start from nothing.
    }
    return state;
  }

  /** The event-log cursor the saved state was in step with. */
  savedCursor = 0;

  /** Saves the state together with the log cursor it is in step with. */
  async save(statePath: string, cursor: number): Promise<void> {
    await writeFileAtomic(statePath, JSON.stringify({ room: this.room, cursor, files: Object.fromEntries(this.files) }));
    this.savedCursor = cursor;
  }

  /**
   * Brings a saved state up to the event log after a crash: keys the log created since the save are
   * known again (with unknown bytes, so the next reconcile re-reads them), keys it deleted are
   * forgotten. Without this a file created, logged, then deleted while the daemon was down would
   * never get its tombstone.
   */
  catchUp(events: ChangeEvent[]): void {
    for (const event of events) {
      if (event.from) this.files.delete(event.from);
      if (event.type === 'deleted') this.files.delete(event.key);
      else this.files.set(event.key, { hash: '', size: -1, mtimeMs: -1, version: event.version });
    }
  }

  /**
   * ISO time of the newest file change the state knows of (null when it knows none): a pass over
   * what is in memory, no file access, so a rooms list costs the same at 10 or 10,000 memories.
   */
  newestChange(): string | null {
    let newest = 0;
    for (const facts of this.files.values()) if (facts.mtimeMs > newest) newest = facts.mtimeMs;
    return newest > 0 ? new Date(newest).toISOString() : null;
  }

  /** Re-reads the given keys and returns the events they amount to, updating the known state. */
  async apply(keys: Iterable<string>, undo?: StateUndo): Promise<ChangeEvent[]> {
    const seen = new Map<string, Seen>();
    const queue = [...new Set(keys)];
    // Files are read in parallel rounds: one at a time, a batch of a hundred keys took long enough
    // under load to hold every search that waits for it.
    for (let done = 0; done < queue.length; ) {
      const round = queue.slice(done, done + LOOK_CONCURRENCY);
      done += round.length;
      const looks = await Promise.all(round.map((key) => this.look(key)));
      for (const [i, now] of looks.entries()) {
        seen.set(round[i], now);
        // A file replaced by a folder of the same name: the watcher may not have seen the files put
        // in it yet, so look for them now.
        if (now.kind === 'gone' && now.folder) {
          for (const inner of await this.changedUnder(`${round[i]}.md/`)) if (!queue.includes(inner)) queue.push(inner);
        }
      }
    }
    return this.diff(seen, undo);
  }

  /**
   * Walks the whole room: files whose mtime and size match the known state are trusted, the rest
   * are read. Returns the events for every difference (what a missed event or a stopped daemon lost).
   */
  async reconcile(undo?: StateUndo): Promise<ChangeEvent[]> {
    const seen = new Map<string, Seen>();
    const onDisk = await this.walk();
    for (const [key, info] of onDisk) {
      const known = this.files.get(key);
      if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) continue;
      seen.set(key, await this.look(key));
    }
    for (const key of this.files.keys()) if (!onDisk.has(key)) seen.set(key, await this.look(key));
    const events = this.diff(seen, undo);
    this.lastReconcile = new Date().toISOString();
    return events;
  }

  /** Takes back what a batch changed (its `undo`), so its keys read as changed again. */
  restore(undo: StateUndo): void {
    for (const [key, facts] of undo) {
      if (facts === undefined) this.files.delete(key);
      else this.files.set(key, facts);
    }
  }

  /** Forgets every file: the events a removed room amounts to. */
  dropAll(): ChangeEvent[] {
    const at = new Date().toISOString();
    const events = [...this.files].map(([key, facts]): ChangeEvent => deleted(this.room, key, facts, at));
    this.files.clear();
    this.problems.clear();
    return events;
  }

  private async look(key: string): Promise<Seen> {
    const path = memoryPath(this.dir, key);
    let info;
    try {
      info = await lstat(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'gone' };
      return { kind: 'unreadable', reason: `cannot stat (${code})` };
    }
    if (!info.isFile()) return { kind: 'gone', folder: info.isDirectory() }; // e.g. replaced by a folder of the same name
    let bytes: Buffer | undefined;
    try {
      bytes = await readConfined(this.dir, path);
    } catch (err) {
      if (err instanceof UnsafeFileError) return { kind: 'gone' }; // a symlink or FIFO is no memory
      return { kind: 'unreadable', reason: `cannot read (${((err as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? 'EIO'})` };
    }
    if (bytes === undefined) return { kind: 'gone' };
    const parsed = parseMemoryFile(bytes.toString('utf8'));
    if (parsed.problem) {
      this.problems.set(key, { path, reason: `line ${parsed.problem.line}: broken frontmatter (${parsed.problem.reason})` });
    } else this.problems.delete(key);
    const { version, updated_by: by } = readHeader(parsed.meta);
    const hash = contentHash(bytes);
    return { kind: 'file', facts: { hash, size: info.size, mtimeMs: info.mtimeMs, version }, by };
  }

  private diff(seen: Map<string, Seen>, undo?: StateUndo): ChangeEvent[] {
    if (undo) for (const [key, now] of seen) if (now.kind !== 'unreadable' && !undo.has(key)) undo.set(key, this.files.get(key));
    const created: ChangeEvent[] = [];
    const removed: { event: ChangeEvent; hash: string }[] = [];
    const updated: ChangeEvent[] = [];
    const hashOfCreated = new Map<ChangeEvent, string>();
    for (const [key, now] of seen) {
      const before = this.files.get(key);
      if (now.kind === 'unreadable') {
        this.problems.set(key, { path: memoryPath(this.dir, key), reason: now.reason });
        continue; // keep what we knew: the file is there, we just cannot read it now
      }
      if (now.kind === 'gone') {
        this.problems.delete(key);
        if (!before) continue;
        this.files.delete(key);
        removed.push({ event: deleted(this.room, key, before, new Date().toISOString()), hash: before.hash });
        continue;
      }
      this.files.set(key, now.facts);
      if (before?.hash === now.facts.hash) continue; // touched, same bytes: nothing changed
      // A mycelium write advances the version; a hand edit keeps the old updated_by, which is not its author.
      const by = !before || now.facts.version > before.version ? now.by : null;
      const event = change(before ? 'updated' : 'created', this.room, key, now.facts, by);
      if (before) updated.push(event);
      else {
        created.push(event);
        hashOfCreated.set(event, now.facts.hash);
      }
    }
    // A delete and a create with the same bytes in one batch is a rename.
    const renamed: ChangeEvent[] = [];
    const deletes: ChangeEvent[] = [];
    for (const { event, hash } of removed) {
      const twin = created.find((c) => hashOfCreated.get(c) === hash);
      if (!twin) {
        deletes.push(event);
        continue;
      }
      created.splice(created.indexOf(twin), 1);
      hashOfCreated.delete(twin);
      renamed.push({ ...twin, type: 'renamed', from: event.key });
    }
    return [...created, ...updated, ...renamed, ...deletes];
  }

  /** Keys on disk under a `/`-ended prefix ('' = the whole room) that are new or whose mtime or size changed. */
  async changedUnder(prefix: string): Promise<string[]> {
    const changed: string[] = [];
    for (const [key, info] of await this.walk(prefix)) {
      const known = this.files.get(key);
      if (!known || known.mtimeMs !== info.mtimeMs || known.size !== info.size) changed.push(key);
    }
    return changed;
  }

  /** Every memory file in the room (or under a `/`-ended prefix) with its mtime and size: a stat walk, no reads. */
  private async walk(under = ''): Promise<Map<string, { mtimeMs: number; size: number }>> {
    const found = new Map<string, { mtimeMs: number; size: number }>();
    // A folder gone or unreadable mid-walk is skipped: its files are confirmed one by one by look().
    const files = await walkMemoryFiles(this.dir, { under, skipUnreadable: true }).catch(() => []);
    for (const { key, path } of files) {
      const info = await lstat(path).catch(() => undefined);
      found.set(key, { mtimeMs: info?.mtimeMs ?? -1, size: info?.size ?? -1 });
    }
    return found;
  }
}

function change(type: 'created' | 'updated', room: string, key: string, facts: FileFacts, by: string | null): ChangeEvent {
  return { type, room, key, version: facts.version, by, at: new Date(facts.mtimeMs).toISOString(), cursor: null };
}

function deleted(room: string, key: string, facts: FileFacts, at: string): ChangeEvent {
  return { type: 'deleted', room, key, version: facts.version, by: null, at, cursor: null };
}
