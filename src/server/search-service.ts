import { InvalidInputError } from '../errors.js';
import { FeedResetError, type ChangeFeed } from '../sync/change-feed.js';
import { loadEmbedder, type Embedder } from '../search/embedder.js';
import { RoomIndex } from '../search/room-index.js';
import type { SearchMode, SearchOptions, SearchResponse } from '../search/types.js';

/**
 * Search for the server: the same library calls as `memory search` (reconcile, then search), with each
 * room's index kept open and the embedding model loaded once for the whole process, so requests find
 * them warm. Every search sees the files as they were when it arrived.
 */
export class SearchService {
  private embedder: Promise<{ embedder: Embedder | null; reason?: string }> | undefined;
  private readonly rooms = new Map<string, RoomSearch>();

  constructor(
    private readonly home: string,
    private readonly feed: ChangeFeed,
  ) {}

  async search(room: string, query: string, options: SearchOptions): Promise<SearchResponse> {
    let entry = this.rooms.get(room);
    if (!entry) {
      this.embedder ??= loadEmbedder().then((loaded) => ({ embedder: loaded.embedder, reason: loaded.embedder ? undefined : loaded.reason }));
      entry = new RoomSearch(this.home, room, this.embedder, this.feed);
      this.rooms.set(room, entry);
    }
    try {
      return await entry.search(query, options);
    } catch (err) {
      if (!entry.opened) this.rooms.delete(room); // e.g. the room was removed: open again next time
      throw err;
    }
  }

  async close(): Promise<void> {
    for (const entry of this.rooms.values()) await entry.close();
  }
}

/** How long a changed index may wait in memory before it is written (searches in between find it warm). */
const SAVE_DELAY_MS = 2000;

/**
 * One room's open index, kept in line with the files through the room's change feed: the feed's
 * walk finds what changed (from any source) and only those keys are re-read, as the daemon does with
 * its watcher events. Searches that arrive while an update runs share the next one, so a busy server
 * does one walk per burst, not one per request.
 */
class RoomSearch {
  private index: Promise<RoomIndex> | undefined;
  private reason: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private pendingRefresh: Promise<void> | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  /** The feed position the index reflects; undefined until the first full reconcile. */
  private cursor: string | undefined;
  opened = false;

  constructor(
    private readonly home: string,
    private readonly room: string,
    private readonly embedder: Promise<{ embedder: Embedder | null; reason?: string }>,
    private readonly feed: ChangeFeed,
  ) {}

  async search(query: string, options: SearchOptions): Promise<SearchResponse> {
    const index = await this.open();
    await this.refresh(index);
    // Searches only read the index, so they run side by side; updates to it go one at a time.
    const response = await index.search(query, options);
    if (response.mode === 'bm25' && !response.reason && this.reason && options.mode !== 'bm25') response.reason = this.reason;
    this.scheduleSave(index);
    return response;
  }

  async close(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    const index = await this.index?.catch(() => undefined);
    if (index) await this.serial(() => index.save()).catch(() => {});
  }

  private async open(): Promise<RoomIndex> {
    this.index ??= this.embedder.then(({ embedder, reason }) => {
      this.reason = reason;
      return RoomIndex.open(this.home, this.room, { embedder });
    });
    const index = await this.index;
    this.opened = true;
    return index;
  }

  /** Resolves after a reconcile that started after this call; callers arriving meanwhile share it. */
  private refresh(index: RoomIndex): Promise<void> {
    this.pendingRefresh ??= this.serial(async () => {
      this.pendingRefresh = undefined;
      await this.catchUp(index);
    });
    return this.pendingRefresh;
  }

  /** Re-reads the keys the feed saw change since last time; a full reconcile first, or after a feed reset. */
  private async catchUp(index: RoomIndex): Promise<void> {
    if (this.cursor !== undefined) {
      try {
        const changed = new Set<string>();
        for (let more = true; more; ) {
          const page = await this.feed.since(this.room, this.cursor, 5000);
          for (const change of page.changes) changed.add(change.key);
          this.cursor = page.cursor;
          more = page.more;
        }
        if (changed.size > 0) await index.refresh([...changed]);
        return;
      } catch (err) {
        if (!(err instanceof FeedResetError)) throw err;
      }
    }
    this.cursor = await this.feed.latest(this.room);
    await index.reconcile();
  }

  private scheduleSave(index: RoomIndex): void {
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      void this.serial(() => index.save()).catch(() => {});
    }, SAVE_DELAY_MS);
    this.saveTimer.unref();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }
}

const MODES: SearchMode[] = ['hybrid', 'bm25', 'vector'];

/** Reads a search request body: `{"query", "limit"?, "mode"?, "prefix"?, "tags"?, "by"?, "since"?, "explain"?}`. */
export function searchRequest(body: Record<string, unknown>): { query: string; options: SearchOptions } {
  const { query, limit, mode, prefix, tags, by, since, explain } = body;
  if (typeof query !== 'string') throw new InvalidInputError("the body needs a 'query' string");
  const optionalString = (value: unknown, name: string) => {
    if (value !== undefined && typeof value !== 'string') throw new InvalidInputError(`'${name}' must be a string`);
    return value as string | undefined;
  };
  if (limit !== undefined && (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 1000)) {
    throw new InvalidInputError("'limit' must be a whole number from 1 to 1000");
  }
  if (mode !== undefined && !MODES.includes(mode as SearchMode)) throw new InvalidInputError("'mode' must be hybrid, bm25 or vector");
  if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string'))) {
    throw new InvalidInputError("'tags' must be a list of strings");
  }
  if (explain !== undefined && typeof explain !== 'boolean') throw new InvalidInputError("'explain' must be true or false");
  return {
    query,
    options: {
      limit: limit as number | undefined,
      mode: mode as SearchMode | undefined,
      prefix: optionalString(prefix, 'prefix'),
      tags: tags as string[] | undefined,
      by: optionalString(by, 'by'),
      since: optionalString(since, 'since'),
      explain: explain as boolean | undefined,
    },
  };
}
