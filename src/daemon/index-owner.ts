/**
 * The daemon's only contact with the search index: it owns one RoomIndex per room (the single
 * writer), refreshes it on every batch of events, reconciles it with the files, keeps the embedding
 * model loaded for its lifetime, and answers searches and reindexes sent over IPC. The daemon calls
 * these in each room's queue, so a room's index never sees two changes at once.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Embedder } from '../search/embedder.js';
import type { RoomIndex } from '../search/room-index.js';
import type { IndexProgress, SearchOptions, SearchResponse } from '../search/types.js';
import type { ReindexResult } from './protocol.js';
import type { Logger, Settings } from '../settings.js';

export interface ModelStatus {
  /** The embedding model in use, or null. */
  name: string | null;
  /** Why there is none (or null when there is one). */
  reason: string | null;
}

export interface IndexOwner {
  /** Brings a room's index in line with its files (at start, periodically, for a new room). */
  reconcile(room: string): Promise<void>;
  /** Re-reads these keys from disk: present ones are (re)indexed, gone ones removed. */
  refresh(room: string, keys: string[]): Promise<void>;
  /** A room folder went away: close its index. */
  dropRoom(room: string): Promise<void>;
  /** Answers a search from the warm index. */
  search(room: string, query: string, options: SearchOptions): Promise<SearchResponse>;
  /**
   * Rebuilds a room's index from scratch (`memory reindex` while the daemon runs). `mode: 'bm25'`
   * builds it without vectors, and the room is searched by words only until a reindex without it.
   */
  reindex(room: string, mode?: 'bm25'): Promise<ReindexResult>;
  model(): ModelStatus;
  close(): Promise<void>;
}

/** The index is saved at most this often while changes stream in (it is rebuilt from the files after a crash). */
const SAVE_DELAY_MS = 1_000;

/** Opens the index owner for a home. Loads the embedding model once, for the daemon's lifetime. */
export interface IndexOwnerOptions {
  /** The face's settings: the model to load and where from. */
  settings: Settings;
  /** Where the owner reports index warnings and problems it survives. */
  log: Logger;
  /** Long index work (a first build of a big room) reports here, for `daemon start`'s progress. */
  onProgress?: (room: string, progress: IndexProgress) => void;
}

export async function openIndexOwner(home: string, options: IndexOwnerOptions): Promise<IndexOwner> {
  const { log } = options;
  const { RoomIndex } = await import('../search/room-index.js');
  const { loadEmbedder } = await import('../search/embedder.js');
  const { indexDir } = await import('../search/index-files.js');
  const loaded = await loadEmbedder({ env: options.settings.env });
  const embedder: Embedder | null = loaded.embedder;
  const reason = loaded.embedder ? null : loaded.reason;
  const indexes = new Map<string, Promise<RoomIndex>>();
  /** Rooms reindexed with `mode: 'bm25'`: their index has no model until a plain reindex. */
  const wordsOnly = new Set<string>();
  const saveTimers = new Map<string, NodeJS.Timeout>();
  /** Rooms whose index folder we have written: if it disappears, someone deleted it. */
  const written = new Set<string>();

  const open = (room: string): Promise<RoomIndex> => {
    let index = indexes.get(room);
    if (!index) {
      const onProgress = options.onProgress && ((progress: IndexProgress) => options.onProgress!(room, progress));
      index = RoomIndex.open(home, room, { embedder: wordsOnly.has(room) ? null : embedder, onProgress, settings: options.settings });
      indexes.set(room, index);
      index.catch(() => indexes.delete(room));
    }
    return index;
  };
  const save = async (room: string) => {
    const index = await open(room);
    await index.save();
    for (const warning of index.takeWarnings()) log(warning);
    if (existsSync(index.dir)) written.add(room);
  };
  const saveSoon = (room: string) => {
    if (saveTimers.has(room)) return;
    saveTimers.set(
      room,
      setTimeout(() => {
        saveTimers.delete(room);
        save(room).catch((err) => log(`cannot save the index of '${room}': ${(err as Error).message}`));
      }, SAVE_DELAY_MS),
    );
  };
  /** The index folder was deleted while we ran: rebuild it from the files, as any command would. */
  const rebuildIfDeleted = async (room: string, index: RoomIndex) => {
    if (!written.has(room) || existsSync(index.dir)) return false;
    written.delete(room);
    log(`the index of room '${room}' was deleted; rebuilding it`);
    await index.rebuild();
    await save(room);
    return true;
  };

  return {
    async reconcile(room) {
      const index = await open(room);
      if (!(await rebuildIfDeleted(room, index))) await index.reconcile();
      await save(room);
    },
    async refresh(room, keys) {
      const index = await open(room);
      if (await rebuildIfDeleted(room, index)) return;
      await index.refresh(keys);
      saveSoon(room);
    },
    async dropRoom(room) {
      clearTimeout(saveTimers.get(room));
      saveTimers.delete(room);
      indexes.delete(room);
      written.delete(room);
      await rm(indexDir(home, room), { recursive: true, force: true }); // a cache of files that are gone
    },
    async search(room, query, options) {
      const index = await open(room);
      const response = await index.search(query, options);
      // The index only knows it was given no model; say why, as an in-process search would.
      if (response.reason) {
        if (wordsOnly.has(room)) response.reason = 'the room was reindexed with --mode bm25; reindex without it for vectors';
        else if (!embedder && reason) response.reason = reason;
      }
      response.warnings.push(...index.takeWarnings());
      return response;
    },
    async reindex(room, mode) {
      const wanted = mode === 'bm25';
      if (wanted !== wordsOnly.has(room)) {
        // The model comes or goes with the mode asked: open the room's index afresh.
        await indexes.get(room)?.then((old) => old.close()).catch(() => {});
        indexes.delete(room);
        if (wanted) wordsOnly.add(room);
        else wordsOnly.delete(room);
      }
      const index = await open(room);
      const stats = await index.rebuild();
      await save(room);
      const why = wanted ? 'reindexed with --mode bm25' : reason;
      const vectors = !wanted && embedder !== null;
      return { memories: index.size, mode: vectors ? 'hybrid' : 'bm25', ...(!vectors && why ? { reason: why } : {}), ms: Math.round(stats.ms) };
    },
    model: () => ({ name: embedder?.model ?? null, reason }),
    async close() {
      for (const timer of saveTimers.values()) clearTimeout(timer);
      saveTimers.clear();
      for (const room of indexes.keys()) await save(room).catch(() => {});
    },
  };
}

/** What `mycelium status` reports about the model when no daemon runs: what a search would load, without loading it. */
export async function describeModelOffline(settings: Settings): Promise<ModelStatus> {
  const model = settings.embedModel;
  const dir = settings.modelDir;
  return { name: null, reason: `no daemon running; a search loads ${model}${dir ? ` from ${dir}` : ''} on demand` };
}
