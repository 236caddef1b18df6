import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readConfined } from '../fs-confined.js';
import { InvalidInputError, MyceliumError, ioError } from '../errors.js';
import { normalizeKey } from '../keys.js';
import { withLock } from '../lock.js';
import { Room } from '../room.js';
import { Bm25Index, DEFAULT_BM25, keysHolding, scoreBm25 } from './bm25.js';
import { holdsPhrases, matchedLine, parseQuery, type ParsedQuery } from './query.js';
import { DEFAULT_CHUNKING } from './chunk.js';
import { loadEmbedder, type Embedder } from './embedder.js';
import { DEFAULT_FUSION, fuseRankings, type Fused, type Ranked } from './fusion.js';
import { INDEX_FORMAT, indexDir, openIndexFile, readVectorsFile, writeIndexFiles, type FileEntry } from './index-files.js';
import { encodeIndexFile, type IndexFileReader } from './index-file.js';
import type { RoomChanges } from './room-changes.js';
import { indexText, readForIndex } from './memory-text.js';
import { scanRoom, statFile, walkRoom, type FileStamp, type FolderListing } from '../room-scan.js';
import { pickChunk, snippetOf } from './snippet.js';
import { SEARCH_KINDS, type IndexProgress, type ReconcileStats, type SearchMode, type SearchOptions, type SearchResponse, type SearchResult } from './types.js';
import { messageIdOf } from '../coord/messages/format.js';
import { VectorStore } from './vector-store.js';
import { buildLayout, rankByVector, type VectorLayout, type VectorRanking } from './vector-search.js';
import { DEFAULT_SETTINGS, type Settings } from '../settings.js';

/** Longest query accepted, in characters. */
export const MAX_QUERY_CHARS = 2000;
/** Files read at once while indexing. */
const READ_CONCURRENCY = 64;
/** Chunks per progress report while embedding. */
const EMBED_STEP = 64;

export interface RoomIndexOptions {
  /** The embedder to use; undefined loads the default one (loadEmbedder), null means BM25 only. */
  embedder?: Embedder | null;
  /** Called during long work (a first build, a reindex) for a progress bar. */
  onProgress?: (progress: IndexProgress) => void;
  /** The face's settings (the model's environment, `maxIndexBytes`); default: every default. */
  settings?: Settings;
}

/**
 * The search index of one room: BM25 and vectors over the room's files, kept true to the files by
 * `reconcile` (a stat walk) or `refresh` (named keys), persisted in `$MYCELIUM_HOME/index/<room>/`.
 * A daemon keeps one open per room; the CLI opens, reconciles, searches and saves.
 */
export class RoomIndex {
  private files = new Map<string, FileEntry>();
  private bm25 = Bm25Index.create();
  /**
   * The index file as stored, read on demand, while nothing has changed: a one-shot search reads only
   * the stamps, its terms' postings and its results' entries. The first change decodes it into
   * `files` and `bm25` (see `mutable`).
   */
  private stored: IndexFileReader | null = null;
  private vectors: VectorStore | null = null;
  /** Chunks waiting for a vector: hash -> text to embed. */
  private pending = new Map<string, string>();
  private dirty = false;
  /** What the last stat walk saw of each folder (saved with the index; see FolderListing). */
  private folders = new Map<string, FolderListing>();
  /** Rows of each memory for vector search; rebuilt after a change. */
  private layout: VectorLayout | null = null;
  private notices: string[] = [];
  private readonly chunking = DEFAULT_CHUNKING;

  private constructor(
    readonly home: string,
    readonly room: string,
    readonly roomDir: string,
    readonly embedder: Embedder | null,
    /** Why there is no embedder, when loading one failed. */
    readonly embedderProblem: string | undefined,
    private readonly onProgress: ((progress: IndexProgress) => void) | undefined,
    private readonly maxIndexBytes: number,
  ) {}

  static async open(home: string, room: string, options: RoomIndexOptions = {}): Promise<RoomIndex> {
    const opened = await Room.open(home, room);
    let embedder = options.embedder;
    let problem: string | undefined;
    const settings = options.settings ?? DEFAULT_SETTINGS;
    if (embedder === undefined) {
      const loaded = await loadEmbedder({ env: settings.env });
      embedder = loaded.embedder;
      if (!loaded.embedder) problem = loaded.reason;
    }
    const index = new RoomIndex(home, room, opened.dir, embedder, problem, options.onProgress, settings.maxIndexBytes);
    await index.load();
    return index;
  }

  /** Where this index lives on disk. */
  get dir(): string {
    return indexDir(this.home, this.room);
  }

  get size(): number {
    return this.stored?.size ?? this.files.size;
  }

  /** What the index knows about a key. */
  private entryOf(key: string): FileEntry | undefined {
    if (!this.stored) return this.files.get(key);
    const doc = this.stored.docOf(key);
    return doc === undefined ? undefined : this.stored.entry(doc);
  }

  /** Decodes the stored index into the in-memory one, before a change. */
  private mutable(): void {
    const stored = this.stored;
    if (!stored) return;
    this.stored = null;
    try {
      ({ files: this.files, bm25: this.bm25 } = stored.materialize());
    } catch (err) {
      this.notices.push(`notice: search index of room '${this.room}' is unreadable (${(err as Error).message}); rebuilding it from the files`);
      this.files = new Map();
      this.bm25 = Bm25Index.create();
      this.changed();
    } finally {
      stored.close();
    }
  }

  /** The identity of the vectors this index wants: the model's fingerprint plus chunking. */
  private get vectorFingerprint(): string {
    return `${this.embedder?.fingerprint ?? ''} chunking=${JSON.stringify(this.chunking)}`;
  }

  private async load(): Promise<void> {
    const loaded = openIndexFile(this.dir);
    if ('problem' in loaded) this.notices.push(`notice: search index of room '${this.room}': ${loaded.problem}; rebuilding it from the files`);
    if ('value' in loaded) {
      if (loaded.value.format === INDEX_FORMAT && loaded.value.chunking === JSON.stringify(this.chunking)) this.stored = loaded.value;
      else loaded.value.close();
    }
    if (!this.embedder) return;
    this.mutable(); // vector search and embedding walk every entry
    const stored = await readVectorsFile(this.dir);
    if ('problem' in stored) this.notices.push(`notice: search index of room '${this.room}': ${stored.problem}; re-embedding`);
    if ('value' in stored && stored.value.fingerprint === this.vectorFingerprint) this.vectors = stored.value;
    else {
      if ('value' in stored) this.notices.push(`notice: embedding model or settings changed for room '${this.room}'; re-embedding`);
      this.vectors = new VectorStore(this.embedder.dimension, this.vectorFingerprint);
      if ('value' in stored || 'problem' in stored) this.changed();
    }
  }

  /**
   * Brings the index in line with the room: a stat walk; files with unchanged mtime and size are
   * trusted, others re-read; an entry is dropped only after a fresh stat confirms its file is gone.
   */
  async reconcile(): Promise<ReconcileStats> {
    const started = performance.now();
    const stats: ReconcileStats = { added: 0, updated: 0, removed: 0, unchanged: 0, ms: 0 };
    const changed: [string, FileStamp | undefined][] = [];
    const stored = this.stored;
    // What this walk sees of each folder, saved with the index so the next walk reads only changed folders.
    const folders = new Map<string, FolderListing>();
    const record = (prefix: string, listing: FolderListing) => void folders.set(prefix, listing);
    if (stored) {
      // Compared with the index file as the walk goes: no map of the room, no lookup table of the
      // index unless a file is out of the order the index was built in (documents are numbered in
      // walk order, and readdir gives the same order again while the folder is unchanged).
      const seen = new Uint8Array(stored.size);
      let next = 0;
      const walkOptions = { known: (prefix: string) => stored.folder(prefix), record };
      walkRoom(this.roomDir, (key, mtimeMs, size) => {
        const doc = stored.keyOf(next) === key ? next : stored.docOf(key);
        if (doc !== undefined) {
          seen[doc] = 1;
          next = doc + 1;
          if (stored.stamps[2 * doc] === mtimeMs && stored.stamps[2 * doc + 1] === size) return void stats.unchanged++;
        }
        changed.push([key, { mtimeMs, size }]);
      }, walkOptions);
      for (let doc = 0; doc < stored.size; doc++) {
        const key = stored.keyOf(doc);
        if (!seen[doc] && key !== null) changed.push([key, undefined]);
      }
    } else {
      const known = this.folders;
      const onDisk = scanRoom(this.roomDir, { known: (prefix) => known.get(prefix), record });
      for (const [key, stat] of onDisk) {
        const entry = this.files.get(key);
        if (entry !== undefined && entry.mtimeMs === stat.mtimeMs && entry.size === stat.size) stats.unchanged++;
        else changed.push([key, stat]);
      }
      for (const key of this.files.keys()) if (!onDisk.has(key)) changed.push([key, undefined]);
    }
    this.folders = folders;
    await this.indexKeys(changed, stats);
    await this.fillMissingVectors(stats);
    stats.ms = performance.now() - started;
    return stats;
  }

  /** Re-reads these keys from disk (a watcher saw them change): present ones are (re)indexed, gone ones removed. */
  async refresh(keys: string[]): Promise<void> {
    const stats: ReconcileStats = { added: 0, updated: 0, removed: 0, unchanged: 0, ms: 0 };
    await this.indexKeys(keys.map((k) => [normalizeKey(k), undefined]), stats);
    await this.embedPending();
  }

  /** Forgets everything and indexes the room from scratch (`memory reindex`). */
  async rebuild(): Promise<ReconcileStats> {
    this.stored?.close();
    this.stored = null;
    this.files.clear();
    this.bm25 = Bm25Index.create();
    this.folders = new Map(); // every folder is read again
    if (this.embedder) this.vectors = new VectorStore(this.embedder.dimension, this.vectorFingerprint);
    this.changed();
    return this.reconcile();
  }

  /** Notices gathered since the last call (index rebuilt, files not searchable), each one line. */
  takeWarnings(): string[] {
    const out = this.notices;
    this.notices = [];
    return out;
  }

  /**
   * (Re)indexes keys; `stat` undefined means take a fresh one. Reads run in parallel; their results
   * are taken in the order given, so documents are numbered in walk order (the reconcile relies on
   * it to compare a walk with the index file without a lookup table).
   */
  private async indexKeys(work: [string, FileStamp | undefined][], stats: ReconcileStats): Promise<void> {
    if (work.length > 0) this.mutable();
    for (let i = 0; i < work.length; i += READ_CONCURRENCY) {
      const batch = work.slice(i, i + READ_CONCURRENCY);
      const reads = await Promise.all(batch.map(([key, stat]) => this.readKey(key, stat)));
      reads.forEach((read, j) => stats[this.takeRead(batch[j][0], read)]++);
      if (work.length > 1000) this.onProgress?.({ phase: 'read', done: Math.min(work.length, i + READ_CONCURRENCY), total: work.length });
    }
  }

  private async readKey(key: string, knownStat?: FileStamp) {
    const stat = knownStat ?? (await statFile(join(this.roomDir, `${key}.md`)));
    return stat ? readForIndex(this.roomDir, key, stat, this.chunking, this.maxIndexBytes) : null;
  }

  private takeRead(key: string, read: Awaited<ReturnType<RoomIndex['readKey']>>): 'added' | 'updated' | 'removed' | 'unchanged' {
    const old = this.files.get(key);
    if (!read) {
      if (!old) return 'unchanged';
      this.remove(key);
      return 'removed';
    }
    this.changed();
    if (read.warning) this.notices.push(read.warning);
    if (old && !old.skipped && old.sha256 === read.entry.sha256) {
      this.files.set(key, { ...old, mtimeMs: read.entry.mtimeMs, size: read.entry.size }); // touched, not changed
      return 'unchanged';
    }
    this.files.set(key, read.entry);
    this.bm25.put(read.doc);
    if (this.vectors) for (const c of read.chunks) if (!this.vectors.has(c.hash)) this.pending.set(c.hash, c.embedText);
    return old ? 'updated' : 'added';
  }

  /** Marks the index as needing a save and the vector layout as stale. */
  private changed(): void {
    this.dirty = true;
    this.layout = null;
  }

  private remove(key: string): void {
    this.mutable();
    this.files.delete(key);
    this.bm25.remove(key);
    this.changed();
  }

  /** Embeds chunks that have no vector yet: after a model change, or an index built without a model. */
  private async fillMissingVectors(stats: ReconcileStats): Promise<void> {
    const vectors = this.vectors;
    if (!vectors) return;
    const lacking = [...this.files].filter(([, e]) => e.chunks.some((h) => !vectors.has(h) && !this.pending.has(h)));
    for (let i = 0; i < lacking.length; i += READ_CONCURRENCY) {
      await Promise.all(
        lacking.slice(i, i + READ_CONCURRENCY).map(async ([key, entry]) => {
          const path = join(this.roomDir, `${key}.md`);
          const text = await readTextConfined(this.roomDir, path);
          const chunks = text === null ? [] : indexText(key, text, entry, entry.sha256, this.chunking).chunks;
          if (chunks.map((c) => c.hash).join() !== entry.chunks.join()) {
            stats[this.takeRead(key, await this.readKey(key))]++; // changed under us: index it properly
            stats.unchanged--;
            return;
          }
          for (const c of chunks) if (!vectors.has(c.hash)) this.pending.set(c.hash, c.embedText);
        }),
      );
    }
    await this.embedPending();
  }

  private async embedPending(): Promise<void> {
    if (!this.vectors || !this.embedder || this.pending.size === 0) return;
    const work = [...this.pending];
    for (let i = 0; i < work.length; i += EMBED_STEP) {
      const batch = work.slice(i, i + EMBED_STEP);
      const vectors = await this.embedder.embed(batch.map(([, text]) => text));
      batch.forEach(([hash], j) => this.vectors!.set(hash, vectors[j]));
      this.onProgress?.({ phase: 'embed', done: Math.min(work.length, i + EMBED_STEP), total: work.length });
    }
    this.pending.clear();
    this.changed();
  }

  /** Searches the index as it stands (call reconcile or refresh first to see the latest files). */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResponse> {
    const text = query.trim();
    if (text.length === 0) throw new InvalidInputError('empty query; give the words to search for');
    if (text.length > MAX_QUERY_CHARS) {
      throw new InvalidInputError(`query is ${text.length} characters, over the ${MAX_QUERY_CHARS}-character limit; search with fewer words`);
    }
    const limit = options.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidInputError(`limit must be a whole number of at least 1, got ${limit}`);
    const minScore = options.minScore;
    if (minScore !== undefined && !(Number.isFinite(minScore) && minScore >= 0)) throw new InvalidInputError(`min score must be a number of at least 0, got ${minScore}`);
    const parsed = parseQuery(text);
    const source = this.stored ?? this.bm25;
    const excluded = new Set(parsed.excluded.flatMap((t) => [...keysHolding(source, t)]));
    const filter = this.filter(options);
    const accept = excluded.size === 0 ? filter : (key: string) => !excluded.has(key) && (!filter || filter(key));
    const wanted: SearchMode = options.mode ?? (this.embedder ? 'hybrid' : 'bm25');
    const vectorsUsable = this.embedder !== null && this.vectors !== null;
    const mode: SearchMode = vectorsUsable ? wanted : 'bm25';
    const reason = mode !== wanted || (!vectorsUsable && options.mode === undefined) ? this.noVectorsReason() : undefined;
    const fusion = options.fusion ?? DEFAULT_FUSION;
    // A phrase is checked in the file itself, after ranking: look deeper for enough that hold it.
    const depth = Math.max(fusion.depth, limit, parsed.phrases.length > 0 ? 500 : 0);

    const bm25 = mode === 'vector' ? [] : scoreBm25(source, parsed.ranked, depth, options.bm25 ?? DEFAULT_BM25, accept);
    const vector: VectorRanking = mode === 'bm25' ? { ranked: [], bestChunk: new Map(), population: 0 } : await this.vectorSearch(parsed.ranked, depth, accept);
    let vectorWeight: number | null = null;
    let fused: Fused[];
    if (mode === 'hybrid') {
      ({ fused, vectorWeight } = fuseRankings(bm25, vector.ranked, { ...fusion, depth }, vector.population));
    } else {
      const list = mode === 'bm25' ? bm25 : vector.ranked;
      fused = list.map((r, i) => ({ key: r.key, score: r.score, bm25Rank: mode === 'bm25' ? i + 1 : null, vectorRank: mode === 'vector' ? i + 1 : null }));
    }

    if (minScore !== undefined) fused = fused.filter((f) => f.score >= minScore);
    // Snippet files are read in parallel, a round at a time, as many as results are still wanted.
    const results: SearchResult[] = [];
    for (let next = 0; next < fused.length && results.length < limit; ) {
      const round = fused.slice(next, next + limit - results.length);
      next += round.length;
      for (const result of await Promise.all(round.map((hit) => this.describe(hit, parsed, options, bm25, vector, vectorWeight)))) {
        if (result) results.push(result);
      }
    }
    return { room: this.room, mode, ...(reason ? { reason } : {}), results, warnings: this.takeWarnings() };
  }

  private noVectorsReason(): string {
    return this.embedderProblem ?? 'no embedding model loaded';
  }

  private filter(options: SearchOptions): ((key: string) => boolean) | undefined {
    const { prefix, tags, by, kind } = options;
    let since: number | undefined;
    if (options.since !== undefined) {
      since = Date.parse(options.since);
      if (Number.isNaN(since)) throw new InvalidInputError(`--since takes a date such as 2026-11-01 or 2026-11-01T10:00:00Z, got '${options.since}'`);
    }
    if (kind !== undefined && !SEARCH_KINDS.includes(kind)) throw new InvalidInputError(`--kind takes memory or message, got '${String(kind)}'`);
    if (!prefix && !tags?.length && !by && since === undefined && !kind) return undefined;
    return (key) => {
      const entry = this.entryOf(key);
      if (!entry || (prefix && !key.startsWith(prefix))) return false;
      if (kind && (messageIdOf(key) !== undefined) !== (kind === 'message')) return false;
      if (tags?.length && !tags.every((t) => entry.tags.includes(t))) return false;
      if (by && entry.updated_by !== by && entry.created_by !== by) return false;
      return since === undefined || (entry.updated_at !== null && Date.parse(entry.updated_at) >= since);
    };
  }

  /** Each memory's best chunk by cosine similarity to the query, best `depth` memories first. */
  private async vectorSearch(query: string, depth: number, accept?: (key: string) => boolean): Promise<VectorRanking> {
    const [queryVector] = await this.embedder!.embed([query]);
    this.layout ??= buildLayout(this.files, this.vectors!);
    return rankByVector(this.layout, this.vectors!.scoreAll(queryVector), depth, accept);
  }

  /** A result as shown: metadata from the manifest and a snippet read from the file now. */
  private async describe(
    hit: Fused,
    parsed: ParsedQuery,
    options: SearchOptions,
    bm25: Ranked[],
    vector: { ranked: Ranked[]; bestChunk: Map<string, string> },
    vectorWeight: number | null,
  ): Promise<SearchResult | null> {
    const entry = this.entryOf(hit.key);
    if (!entry) return null;
    let snippet = '';
    let heading = '';
    let line = 1;
    const query = parsed.ranked;
    if ((!options.noSnippets || parsed.phrases.length > 0) && !entry.skipped) {
      const text = await readTextConfined(this.roomDir, join(this.roomDir, `${hit.key}.md`));
      if (text === null) {
        // Gone since the last reconcile: never return a file that no longer exists. Dropping the key
        // is one synchronous step, so searches running side by side never see it half done.
        if (!(await statFile(join(this.roomDir, `${hit.key}.md`)))) this.remove(hit.key);
        return null;
      }
      if (!holdsPhrases(text, parsed.phrases)) return null;
      const chunk = pickChunk(indexText(hit.key, text, entry, entry.sha256, this.chunking).chunks, query, vector.bestChunk.get(hit.key));
      snippet = chunk ? snippetOf(chunk.text, query) : '';
      heading = chunk?.heading ?? '';
      line = matchedLine(text, parsed, chunk?.text);
    } else if (parsed.phrases.length > 0) return null; // a file too large to index holds no phrase we can check
    const result: SearchResult = {
      key: hit.key,
      score: hit.score,
      version: entry.version,
      updated_at: entry.updated_at,
      updated_by: entry.updated_by,
      tags: entry.tags,
      snippet,
      line,
    };
    if (options.explain) {
      const b = hit.bm25Rank !== null ? bm25[hit.bm25Rank - 1] : undefined;
      const v = hit.vectorRank !== null ? vector.ranked[hit.vectorRank - 1] : undefined;
      result.explain = {
        bm25_rank: hit.bm25Rank,
        bm25_score: b?.score ?? null,
        vector_rank: hit.vectorRank,
        vector_score: v?.score ?? null,
        fused_score: vectorWeight !== null ? hit.score : null,
        vector_weight: vectorWeight,
        chunk_heading: heading,
      };
    }
    return result;
  }

  /** Persists the index when it changed: one writer at a time, each file written then renamed. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    this.mutable();
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (err) {
      throw ioError('create', this.dir, err); // a read-only home: the search still answers, unsaved
    }
    const referenced = new Set<string>();
    for (const entry of this.files.values()) for (const hash of entry.chunks) referenced.add(hash);
    const body = encodeIndexFile(INDEX_FORMAT, JSON.stringify(this.chunking), this.files, this.bm25, this.folders);
    const vectors = this.vectors ? this.vectors.serialize((h) => referenced.has(h)) : null;
    // Clear the flag with the snapshot taken: a change made while the files are written marks it again.
    this.dirty = false;
    try {
      await withLock(this.home, `index:${this.room}`, () => writeIndexFiles(this.dir, body, vectors));
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.save();
    this.stored?.close();
    this.stored = null;
  }
}

/** Opens a room's index, brings it up to date with the files, searches, and saves it. */
export async function searchRoom(home: string, room: string, query: string, options: SearchOptions & RoomIndexOptions = {}): Promise<SearchResponse> {
  const embedder = options.embedder !== undefined ? options.embedder : options.mode === 'bm25' ? null : undefined;
  const index = await RoomIndex.open(home, room, { embedder, onProgress: options.onProgress, settings: options.settings });
  return searchUpToDate(index, query, options);
}

/**
 * Brings an open index up to date with the files (the keys a watcher saw change, or a stat walk),
 * searches it, and saves it (a failed save is only a notice).
 */
export async function searchUpToDate(index: RoomIndex, query: string, options: SearchOptions = {}, changes?: RoomChanges): Promise<SearchResponse> {
  const changed = changes ? await changes.take() : 'all';
  if (changed === 'all') await index.reconcile();
  else if (changed.length > 0) await index.refresh(changed);
  const response = await index.search(query, options);
  try {
    await index.save();
  } catch (err) {
    // The answer is right either way; the next search rebuilds what could not be saved.
    if (!(err instanceof MyceliumError)) throw err;
    response.warnings.push(`notice: search index of room '${index.room}' not saved (${err.message})`);
  }
  response.warnings.push(...index.takeWarnings());
  return response;
}

/** A memory file's text, or null when it is gone, unreadable, a symlink or no regular file. */
async function readTextConfined(roomDir: string, path: string): Promise<string | null> {
  const bytes = await readConfined(roomDir, path).catch(() => undefined);
  return bytes === undefined ? null : bytes.toString('utf8');
}
