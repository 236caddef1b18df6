/**
 * The daemon's only contact with the search index (issue 3): it owns one index per room (the single
 * writer), refreshes it on every batch of events, reconciles it with the files, keeps the embedding
 * model warm, and answers searches sent over IPC.
 *
 * STUB: the search index has not landed on main yet. Until it does, the seam below is a no-op:
 * refresh/reconcile do nothing, search reports that no index exists (the CLI then searches
 * in-process), and status reports why there is no model. Wiring it means filling in these methods
 * with RoomIndex.open / refresh / reconcile / search and loadEmbedder; nothing else in the daemon
 * changes.
 */
import { DaemonError } from '../errors.js';

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
  /** Answers a search from the warm index; `options` are the CLI's search options. */
  search(room: string, query: string, options: Record<string, unknown>): Promise<unknown>;
  /** Rebuilds a room's index from scratch (`memory reindex` while the daemon runs). */
  reindex(room: string): Promise<{ memories: number; ms: number }>;
  model(): ModelStatus;
  close(): Promise<void>;
}

const NOT_BUILT = 'the search index is not part of this build yet';

/** False while the index seam is a stub (benchmarks then measure "logged", not "searchable"). */
export const INDEX_BUILT_IN = false;

/** Opens the index owner for a home. Loads the embedding model once, for the daemon's lifetime. */
export async function openIndexOwner(_home: string): Promise<IndexOwner> {
  return {
    async reconcile() {},
    async refresh() {},
    async dropRoom() {},
    async search() {
      throw new DaemonError(`${NOT_BUILT}; search in-process instead`);
    },
    async reindex() {
      throw new DaemonError(NOT_BUILT);
    },
    model: () => ({ name: null, reason: NOT_BUILT }),
    async close() {},
  };
}

/** What `mycelium status` reports about the model when no daemon runs (no model is loaded for it). */
export async function describeModelOffline(): Promise<ModelStatus> {
  return { name: null, reason: NOT_BUILT };
}
