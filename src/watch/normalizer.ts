import { stat } from 'node:fs/promises';
import { memoryPath } from '../keys.js';
import type { ChangeEvent } from '../events/change-event.js';
import type { RoomState, StateUndo } from './room-state.js';
import type { Logger } from '../settings.js';

/** A key that never goes quiet is read anyway after this long, so a file written without pause is not starved. */
const MAX_WAIT_MS = 1_000;

/** When a new folder is walked a second time, to catch files that landed while the watcher set up its watches. */
const FOLDER_RESCAN_MS = 250;

/** A failed batch is retried after this long, doubled at each failure up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 30_000;

/**
 * The last batch whose events could not be handed on (the index or the event log failed), as
 * `mycelium status` shows it. Its keys were made dirty again and the state took the batch back, so
 * nothing is lost: the retry reads them again and hands on the same events.
 */
export interface WatchFailure {
  /** The error, one line. */
  error: string;
  /** When it last failed (ISO). */
  at: string;
  /** Failed attempts in a row. */
  attempts: number;
  /** True while the batch waits for its retry; false once a retry went through. */
  pending_retry: boolean;
  /** When the next attempt runs (ISO), or null when none is pending. */
  retry_at: string | null;
  /** When a retry went through (ISO), or null while it is pending. */
  recovered_at: string | null;
}

export interface NormalizerOptions {
  /** Quiet time after a path's last raw event before it is read (trailing edge). Default 20 ms. */
  debounceMs?: number;
  /** Most paths read in one batch, so a burst of thousands is processed in bounded steps. Default 500. */
  batchMax?: number;
  /** Told, as one line, of a batch or reconcile that failed (the watcher goes on). Default: nobody. */
  log?: Logger;
}

/**
 * Turns a room's raw file-system notifications into clean domain events. Raw events only mark a key
 * as "look again"; after the key has been quiet for `debounceMs` it is re-read in a batch, and the
 * room state decides what happened (so unlink+add of the same path is an update, a same-hash
 * delete+create in one batch is a rename, and deletes are confirmed by a stat). Batches and
 * reconciles run one at a time, in order.
 */
export class ChangeNormalizer {
  private readonly dirty = new Map<string, number>(); // key -> time of its last raw event
  private readonly firstDirtyAt = new Map<string, number>(); // key -> time of its first raw event not yet handled
  private readonly dirtyFolders = new Set<string>();
  private inFlightSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** The newest writer (batch, reconcile, exclusive work) in the chain: what a drain waits for. */
  private lastWrite: Promise<void> = Promise.resolve();
  /** The readers at the end of the chain, still open to more readers: they run together. */
  private readGroup: { start: Promise<void>; members: Promise<unknown>[] } | null = null;
  /** The batch queued but not started, and whether a drain asked it to read every dirty key, quiet or not. */
  private queuedBatch: { done: Promise<void>; everything: boolean } | null = null;
  private closed = false;
  /** The last failed batch; while `pending_retry`, no batch runs before `retryAtMs` (the backoff). */
  private failed: WatchFailure | null = null;
  private retryAtMs = 0;
  private readonly debounceMs: number;
  private readonly batchMax: number;
  private readonly log: Logger;

  constructor(
    readonly state: RoomState,
    /**
     * Told of each batch's events and the keys it read; `whole` is true when they come from a walk of
     * the whole room (a reconcile), whose unchanged files were trusted by their mtime and size.
     */
    private readonly onEvents: (events: ChangeEvent[], keys: string[], whole: boolean) => Promise<void>,
    options: NormalizerOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 20;
    this.batchMax = options.batchMax ?? 500;
    this.log = options.log ?? (() => {});
  }

  /** A raw notification for a key (any kind: the state re-reads the file to see what it was). */
  touch(key: string): void {
    if (this.closed) return;
    const now = Date.now();
    this.dirty.set(key, now);
    if (!this.firstDirtyAt.has(key)) this.firstDirtyAt.set(key, now);
    this.schedule(this.debounceMs);
  }

  /**
   * A folder appeared: a file can land in it before its watch is set up, so a file that lands in
   * between is never reported. The folder is walked at the next batch and once more a moment later.
   */
  touchFolder(prefix: string, again = true): void {
    if (this.closed) return;
    this.dirtyFolders.add(prefix);
    this.schedule(this.debounceMs);
    if (again) setTimeout(() => this.touchFolder(prefix, false), FOLDER_RESCAN_MS).unref();
  }

  /** Raw events waiting for their quiet time or a batch. */
  get pending(): number {
    return this.dirty.size;
  }

  /** The last batch that failed, and whether it waits for a retry (null: none has failed). */
  get failure(): WatchFailure | null {
    return this.failed;
  }

  /** Milliseconds since the oldest change not yet handled, or null when all is handled. */
  lagMs(now = Date.now()): number | null {
    let oldest = this.inFlightSince ?? Infinity;
    for (const at of this.firstDirtyAt.values()) oldest = Math.min(oldest, at);
    return oldest === Infinity ? null : now - oldest;
  }

  /** Runs a full reconcile of the room in turn with the batches. */
  reconcile(): Promise<void> {
    return this.enqueue(async () => {
      const undo: StateUndo = new Map();
      const events = await this.state.reconcile(undo);
      if (events.length > 0) await this.deliver(events, keysOf(events), true, undo, Date.now());
    });
  }

  /** Runs `work` alone between batches (saving the state in step with the log, a reindex); its error is the caller's. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.readGroup = null; // readers arriving from now on run after this
    const run = this.chain.then(work);
    this.chain = run.then(
      () => {},
      () => {},
    );
    this.lastWrite = this.chain;
    return run;
  }

  /**
   * Runs `work` that only reads (a search of the index) after every writer queued so far, alongside
   * other readers: readers join the group at the end of the queue until a writer queues behind it,
   * and that writer waits for the whole group. Its error is the caller's.
   */
  shared<T>(work: () => Promise<T>): Promise<T> {
    let group = this.readGroup;
    if (!group) {
      const opened = { start: this.chain, members: [] as Promise<unknown>[] };
      this.readGroup = group = opened;
      this.chain = opened.start.then(async () => {
        for (let settled = 0; settled < opened.members.length; ) {
          const upTo = opened.members.length;
          await Promise.allSettled(opened.members.slice(settled, upTo));
          settled = upTo;
        }
        // Checked and closed in one step: no reader can join a group whose end was already passed.
        if (this.readGroup === opened) this.readGroup = null;
      });
    }
    const run = group.start.then(work);
    group.members.push(run);
    return run;
  }

  /**
   * Handles everything pending now, ignoring the quiet time (before a search, at shutdown). Bounded
   * to the work pending when called, so a file written without pause cannot hold a caller forever.
   * Callers share the batch that waits for its turn (it reads what is dirty when it starts), so
   * concurrent searches cost one batch, not one each.
   */
  async drain(): Promise<void> {
    const calledAt = Date.now();
    // Only what was seen before the call: keys dirtied since then are the next search's business.
    const seenBefore = () => this.dirtyFolders.size > 0 || [...this.firstDirtyAt.values()].some((at) => at <= calledAt);
    const rounds = Math.ceil(this.dirty.size / this.batchMax) + 1;
    for (let round = 0; round < rounds && seenBefore(); round++) await this.queueBatch(true);
    await this.lastWrite;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.chain;
  }

  private schedule(delay: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      // A batch under way reschedules when it ends; queueing another now would only make the
      // searches waiting for the running one wait for this one too.
      if (this.inFlightSince === null) void this.queueBatch(false);
    }, delay);
  }

  /** Queues a batch, or joins the one already waiting for its turn; `everything` skips the quiet time. */
  private queueBatch(everything: boolean): Promise<void> {
    if (this.queuedBatch) {
      this.queuedBatch.everything ||= everything;
      return this.queuedBatch.done;
    }
    const queued = { done: Promise.resolve(), everything };
    this.queuedBatch = queued;
    queued.done = this.enqueue(() => {
      this.queuedBatch = null; // keys dirtied from now on need another batch
      const now = Date.now();
      return queued.everything ? this.batch(Infinity) : this.batch(now - this.debounceMs, now - MAX_WAIT_MS);
    });
    return queued.done;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.readGroup = null; // readers arriving from now on run after this
    const run = this.chain.then(work).catch((err) => {
      this.log(`watcher error in room '${this.state.room}': ${(err as Error).message}`);
    });
    this.chain = run;
    this.lastWrite = run;
    return run;
  }

  private async anyGone(keys: string[]): Promise<boolean> {
    for (const key of keys) {
      if (!this.state.files.has(key)) continue;
      const info = await stat(memoryPath(this.state.dir, key)).catch(() => null);
      if (!info?.isFile()) return true;
    }
    return false;
  }

  /**
   * Hands a batch's events on. When that fails, the batch is taken back: the state forgets what it
   * took in (`undo`) and the keys are dirty again, and the next batch, after a backoff, reads them
   * again. The event log never misses a change and never holds one out of order.
   */
  private async deliver(events: ChangeEvent[], keys: string[], whole: boolean, undo: StateUndo, firstSeen: number): Promise<void> {
    try {
      await this.onEvents(events, keys, whole);
    } catch (err) {
      this.state.restore(undo);
      for (const key of new Set([...keys, ...undo.keys()])) {
        if (!this.dirty.has(key)) this.dirty.set(key, 0);
        if (!this.firstDirtyAt.has(key)) this.firstDirtyAt.set(key, firstSeen);
      }
      const now = Date.now();
      const attempts = this.failed?.pending_retry ? this.failed.attempts + 1 : 1;
      const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (attempts - 1));
      const error = ((err as Error).message ?? String(err)).split('\n')[0];
      this.retryAtMs = now + delay;
      this.failed = { error, at: new Date(now).toISOString(), attempts, pending_retry: true, retry_at: new Date(this.retryAtMs).toISOString(), recovered_at: null };
      this.log(`watcher error in room '${this.state.room}': ${error}; ${this.dirty.size} changes kept, attempt ${attempts + 1} in ${delay} ms`);
      return;
    }
    if (this.failed?.pending_retry) {
      this.failed = { ...this.failed, pending_retry: false, retry_at: null, recovered_at: new Date().toISOString() };
      this.log(`watcher in room '${this.state.room}' caught up after ${this.failed.attempts} failed attempt${this.failed.attempts === 1 ? '' : 's'}`);
    }
  }

  /** Reads up to batchMax keys that have been quiet since `quietBefore`, then reschedules the rest. */
  private async batch(quietBefore: number, waitingSince = -Infinity): Promise<void> {
    const wait = this.failed?.pending_retry ? this.retryAtMs - Date.now() : 0;
    if (wait > 0) {
      // A failed batch waits out its backoff: its keys and any newer ones stay dirty until then.
      this.scheduleAt(wait);
      return;
    }
    const keys: string[] = [];
    for (const prefix of this.dirtyFolders) {
      for (const key of await this.state.changedUnder(prefix)) {
        if (this.dirty.has(key)) continue;
        this.dirty.set(key, 0); // due now, and still read at most batchMax at a time
        this.firstDirtyAt.set(key, Date.now());
      }
    }
    this.dirtyFolders.clear();
    let nextDue = Infinity;
    for (const [key, last] of this.dirty) {
      // Quiet long enough, or changing without pause for too long (a file being appended to).
      const due = last <= quietBefore || this.firstDirtyAt.get(key)! <= waitingSince;
      if (due && keys.length < this.batchMax) keys.push(key);
      else nextDue = Math.min(nextDue, last + this.debounceMs);
    }
    if (keys.length > 0 && keys.length < this.dirty.size && (await this.anyGone(keys))) {
      // A file went away while others are still settling: they may be the other end of a move, and
      // a rename is only seen when both ends are in one batch. Reading a file early is harmless:
      // its next raw event makes it dirty again, so its last write still counts.
      const taken = new Set(keys);
      for (const key of this.dirty.keys()) if (!taken.has(key) && keys.length < this.batchMax) keys.push(key);
    }
    if (keys.length > 0) {
      this.inFlightSince = Math.min(Date.now(), ...keys.map((k) => this.firstDirtyAt.get(k) ?? Date.now()));
      for (const key of keys) {
        this.dirty.delete(key);
        this.firstDirtyAt.delete(key);
      }
      try {
        const undo: StateUndo = new Map();
        const events = await this.state.apply(keys, undo);
        await this.deliver(events, keys, false, undo, this.inFlightSince);
      } finally {
        this.inFlightSince = null;
      }
    }
    if (this.failed?.pending_retry) this.scheduleAt(this.retryAtMs - Date.now());
    else if (this.dirty.size > 0 || this.dirtyFolders.size > 0) this.schedule(Math.max(0, Math.min(nextDue - Date.now(), this.debounceMs)));
  }

  /** A batch after `delay` ms, replacing a sooner one (a retry's backoff). */
  private scheduleAt(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.schedule(Math.max(0, delay));
  }
}

/** Every key an event touches (both ends of a rename). */
export function keysOf(events: ChangeEvent[]): string[] {
  return [...new Set(events.flatMap((e) => (e.from ? [e.key, e.from] : [e.key])))];
}
