import { InvalidInputError } from '../errors.js';
import type { Embedder } from '../search/embedder.js';
import type { RoomChanges } from '../search/room-changes.js';
import type { RoomIndex, RoomIndexOptions } from '../search/room-index.js';
import type { IndexProgress, SearchMode, SearchOptions, SearchResponse } from '../search/types.js';
import { askDaemonOp } from './ipc-client.js';
import type { IpcReplyOf, ReindexResult } from './protocol.js';
import type { HomeStatus } from './status.js';
import type { Settings } from '../settings.js';

/**
 * The one client for every "the daemon if it runs, else in this process" choice: search, reindex,
 * status and telling the daemon what a write changed. Every face (CLI, HTTP, MCP) goes through here,
 * so they behave alike. Heavy code (the index, the model) loads only when the work runs in-process.
 */

/** Most results one search returns, whatever the face. */
export const MAX_SEARCH_LIMIT = 1000;
const MODES: readonly SearchMode[] = ['hybrid', 'bm25', 'vector'];

/** The one check of search options, for every face (each face only turns its own syntax into SearchOptions). */
export function checkSearchOptions(options: SearchOptions): SearchOptions {
  const { limit, mode, minScore, tags } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT)) {
    throw new InvalidInputError(`limit must be a whole number from 1 to ${MAX_SEARCH_LIMIT}, got ${String(limit)}`);
  }
  if (mode !== undefined && !MODES.includes(mode)) throw new InvalidInputError(`mode must be hybrid, bm25 or vector, got '${String(mode)}'`);
  if (minScore !== undefined && !(typeof minScore === 'number' && minScore >= 0)) throw new InvalidInputError(`min score must be a number of at least 0, got ${String(minScore)}`);
  if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string'))) throw new InvalidInputError('tags must be a list of strings');
  return options;
}

/**
 * The one way the CLI, the HTTP server and the MCP server search: a running daemon answers from its
 * warm index and model (it owns the index while it runs); without one, the search runs in this
 * process. A one-shot process (the CLI) opens the index for one search; a long-lived one (the MCP
 * server, `keepOpen`) keeps each room's index open between searches and loads the model once.
 */
export async function searchMemories(
  home: string,
  room: string,
  query: string,
  options: SearchOptions & Pick<RoomIndexOptions, 'onProgress' | 'settings'> = {},
  keepOpen = false,
): Promise<SearchResponse> {
  checkSearchOptions(options);
  const { onProgress, settings, ...wire } = options;
  const fromDaemon = await askDaemonOp(home, 'search', { room, query, options: wire });
  if (fromDaemon) return fromDaemon.response;
  if (!keepOpen) return (await import('../search/room-index.js')).searchRoom(home, room, query, options);
  return searchKeptOpen(home, room, query, wire, settings);
}

const open = new Map<string, Promise<{ index: RoomIndex; changes: RoomChanges }>>();
/** Searches of one room run one after another: a RoomIndex is not safe to reconcile twice at once. */
const queues = new Map<string, Promise<unknown>>();
/** The model, once one room loaded it; null until then (or when none could load). */
let sharedEmbedder: Embedder | null = null;

async function openIndex(home: string, room: string, settings: Settings | undefined): Promise<{ index: RoomIndex; changes: RoomChanges }> {
  const { RoomIndex } = await import('../search/room-index.js'); // search code loads only when searching
  const { RoomChanges } = await import('../search/room-changes.js');
  // The first room loads the model (or learns why it cannot, which the response reports).
  const index = await RoomIndex.open(home, room, sharedEmbedder ? { embedder: sharedEmbedder, settings } : { settings });
  sharedEmbedder ??= index.embedder;
  // Watching starts before the first search's stat walk, so no change falls between the two.
  return { index, changes: new RoomChanges(index.roomDir) };
}

function searchKeptOpen(home: string, room: string, query: string, options: SearchOptions, settings: Settings | undefined): Promise<SearchResponse> {
  const id = `${home}\0${room}`;
  const run = async (): Promise<SearchResponse> => {
    let pending = open.get(id);
    if (!pending) open.set(id, (pending = openIndex(home, room, settings)));
    try {
      const { searchUpToDate } = await import('../search/room-index.js');
      const { index, changes } = await pending;
      return await searchUpToDate(index, query, options, changes);
    } catch (err) {
      open.delete(id); // a room removed or an index that failed: open afresh next time
      pending.then(({ changes }) => changes.close(), () => {});
      throw err;
    }
  };
  const next = (queues.get(id) ?? Promise.resolve()).then(run, run);
  queues.set(id, next.catch(() => {}));
  return next;
}

/** Where a reindex ran, and what it built. */
export interface ReindexReport extends ReindexResult {
  room: string;
  /** True when the running daemon rebuilt its own index. */
  inDaemon: boolean;
  warnings: string[];
}

/**
 * Rebuilds a room's search index: the daemon does it when it runs (it owns the index; one writer),
 * else this process. `mode: 'bm25'` builds no vectors, in either place.
 */
export async function reindexRoom(
  home: string,
  room: string,
  options: { mode?: Exclude<SearchMode, 'vector'>; onProgress?: (p: IndexProgress) => void; settings?: Settings } = {},
): Promise<ReindexReport> {
  if (options.mode !== undefined && options.mode !== 'bm25' && options.mode !== 'hybrid') {
    throw new InvalidInputError(`mode for reindex is bm25 or hybrid, got '${String(options.mode)}'`);
  }
  const fromDaemon = await askDaemonOp(home, 'reindex', { room, ...(options.mode ? { mode: options.mode } : {}) }, 24 * 3600_000);
  if (fromDaemon) {
    const { memories, mode, reason, ms } = fromDaemon;
    return { room, memories, mode, ...(reason ? { reason } : {}), ms, inDaemon: true, warnings: [] };
  }
  const { RoomIndex } = await import('../search/room-index.js');
  const index = await RoomIndex.open(home, room, { embedder: options.mode === 'bm25' ? null : undefined, onProgress: options.onProgress, settings: options.settings });
  const stats = await index.rebuild();
  await index.save();
  await index.close();
  const reason = index.embedder ? undefined : options.mode === 'bm25' ? 'reindexed with --mode bm25' : (index.embedderProblem ?? 'no model');
  return { room, memories: index.size, mode: index.embedder ? 'hybrid' : 'bm25', ...(reason ? { reason } : {}), ms: Math.round(stats.ms), inDaemon: false, warnings: index.takeWarnings() };
}

/** The home's status: live from the daemon when it runs, else computed in this process. */
export async function homeStatus(home: string, settings: Settings): Promise<HomeStatus> {
  const reply = await askDaemonOp(home, 'status', {}, 10_000);
  if (reply) return reply.status;
  return (await import('./status.js')).offlineStatus(home, settings);
}

/**
 * Tells the running daemon which keys a write in this process just changed, so the next search
 * anywhere sees them without waiting for the file-system event. No daemon: nothing to do.
 */
export async function notifyWritten(home: string, room: string, keys: string[]): Promise<void> {
  await askDaemonOp(home, 'touch', { room, keys }).catch(() => null); // the watcher sees it anyway
}

/** How long `room trigger run` waits for the daemon's check (a synthesis may ask a slow LLM). */
const TRIGGER_RUN_TIMEOUT_MS = 15 * 60_000;

/**
 * A room's synthesis trigger checked by the running daemon, from its known state (it reads only the
 * files that may have changed since the last synthesis, no stat of every file): `run` checks it and
 * synthesizes when due (by `handle`), else only counts what is pending. Null when no daemon runs:
 * the caller then walks the room in-process (`runTriggerIfDue`, `pendingChanges`).
 */
export async function triggerByDaemon(home: string, room: string, request: { run: boolean; handle?: string }): Promise<IpcReplyOf<'trigger'> | null> {
  return askDaemonOp(home, 'trigger', { room, ...request }, request.run ? TRIGGER_RUN_TIMEOUT_MS : undefined);
}
