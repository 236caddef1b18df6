import { askDaemon } from './daemon/ipc-client.js';
import type { Embedder } from './search/embedder.js';
import type { RoomIndex } from './search/room-index.js';
import type { SearchMode, SearchResponse } from './search/types.js';

/**
 * The one place the long-lived agent face (the MCP server) reaches search through. A running daemon
 * answers from its warm index and model (it owns the index while it runs). Without one, this process
 * keeps each room's index open between searches (a reconcile stat walk brings it up to date with the
 * files each time) and loads the embedding model once, instead of once per search as a one-shot CLI
 * process must.
 */

export interface SearchRequest {
  query: string;
  limit?: number;
  mode?: SearchMode;
}

const open = new Map<string, Promise<RoomIndex>>();
/** Searches of one room run one after another: a RoomIndex is not safe to reconcile twice at once. */
const queues = new Map<string, Promise<unknown>>();
/** The model, once one room loaded it; null until then (or when none could load). */
let sharedEmbedder: Embedder | null = null;

async function openIndex(home: string, room: string): Promise<RoomIndex> {
  const { RoomIndex } = await import('./search/room-index.js'); // search code loads only when searching
  // The first room loads the model (or learns why it cannot, which the response reports).
  const index = await RoomIndex.open(home, room, sharedEmbedder ? { embedder: sharedEmbedder } : {});
  sharedEmbedder ??= index.embedder;
  return index;
}

/** Searches a room; the response is what `mycelium memory search --json` prints, plus `room` and `warnings`. */
export async function searchMemories(home: string, room: string, request: SearchRequest): Promise<SearchResponse> {
  const options = { limit: request.limit, mode: request.mode };
  const fromDaemon = await askDaemon(home, { op: 'search', room, query: request.query, options });
  if (fromDaemon) return fromDaemon.response as SearchResponse;
  const id = `${home}\0${room}`;
  const run = async (): Promise<SearchResponse> => {
    let pending = open.get(id);
    if (!pending) open.set(id, (pending = openIndex(home, room)));
    try {
      const index = await pending;
      await index.reconcile();
      const response = await index.search(request.query, options);
      await index.save();
      return response;
    } catch (err) {
      open.delete(id); // a room removed or an index that failed: open afresh next time
      throw err;
    }
  };
  const previous = queues.get(id) ?? Promise.resolve();
  const next = previous.then(run, run);
  queues.set(id, next.catch(() => {}));
  return next;
}
