import { InvalidInputError } from '../errors.js';
import { loadEmbedder, type Embedder } from '../search/embedder.js';
import { RoomIndex } from '../search/room-index.js';
import type { SearchMode, SearchOptions, SearchResponse } from '../search/types.js';

/**
 * Search for the server: the same library call as `memory search`, with each room's index kept open
 * and the embedding model loaded once for the whole process, so requests find them warm. One search
 * per room at a time; each brings the index in line with the files first (a stat walk), as the CLI does.
 */
export class SearchService {
  private embedder: Promise<{ embedder: Embedder | null; reason?: string }> | undefined;
  private readonly indexes = new Map<string, Promise<RoomIndex>>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly home: string) {}

  search(room: string, query: string, options: SearchOptions): Promise<SearchResponse> {
    const run = async () => {
      const { index, reason } = await this.open(room);
      await index.reconcile();
      const response = await index.search(query, options);
      await index.save();
      if (response.mode === 'bm25' && !response.reason && reason && options.mode !== 'bm25') response.reason = reason;
      return response;
    };
    const previous = this.queues.get(room) ?? Promise.resolve();
    const next = previous.then(run, run);
    this.queues.set(room, next.catch(() => {}));
    return next;
  }

  async close(): Promise<void> {
    for (const index of this.indexes.values()) await (await index.catch(() => undefined))?.save().catch(() => {});
  }

  private async open(room: string): Promise<{ index: RoomIndex; reason?: string }> {
    this.embedder ??= loadEmbedder().then((loaded) => ({ embedder: loaded.embedder, reason: loaded.embedder ? undefined : loaded.reason }));
    const { embedder, reason } = await this.embedder;
    let index = this.indexes.get(room);
    if (!index) {
      index = RoomIndex.open(this.home, room, { embedder });
      this.indexes.set(room, index);
      index.catch(() => this.indexes.delete(room));
    }
    return { index: await index, reason };
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
