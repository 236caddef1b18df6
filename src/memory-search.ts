import { askDaemon } from './daemon/ipc-client.js';
import type { Embedder } from './search/embedder.js';
import type { RoomChanges } from './search/room-changes.js';
import type { RoomIndex, RoomIndexOptions } from './search/room-index.js';
import type { SearchOptions, SearchResponse } from './search/types.js';

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
  options: SearchOptions & Pick<RoomIndexOptions, 'onProgress'> = {},
  keepOpen = false,
): Promise<SearchResponse> {
  const { onProgress, ...wire } = options;
  const fromDaemon = await askDaemon(home, { op: 'search', room, query, options: wire });
  if (fromDaemon) return fromDaemon.response as SearchResponse;
  if (!keepOpen) return (await import('./search/room-index.js')).searchRoom(home, room, query, options);
  return searchKeptOpen(home, room, query, wire);
}

const open = new Map<string, Promise<{ index: RoomIndex; changes: RoomChanges }>>();
/** Searches of one room run one after another: a RoomIndex is not safe to reconcile twice at once. */
const queues = new Map<string, Promise<unknown>>();
/** The model, once one room loaded it; null until then (or when none could load). */
let sharedEmbedder: Embedder | null = null;

async function openIndex(home: string, room: string): Promise<{ index: RoomIndex; changes: RoomChanges }> {
  const { RoomIndex } = await import('./search/room-index.js'); // search code loads only when searching
  const { RoomChanges } = await import('./search/room-changes.js');
  // The first room loads the model (or learns why it cannot, which the response reports).
  const index = await RoomIndex.open(home, room, sharedEmbedder ? { embedder: sharedEmbedder } : {});
  sharedEmbedder ??= index.embedder;
  // Watching starts before the first search's stat walk, so no change falls between the two.
  return { index, changes: new RoomChanges(index.roomDir) };
}

function searchKeptOpen(home: string, room: string, query: string, options: SearchOptions): Promise<SearchResponse> {
  const id = `${home}\0${room}`;
  const run = async (): Promise<SearchResponse> => {
    let pending = open.get(id);
    if (!pending) open.set(id, (pending = openIndex(home, room)));
    try {
      const { searchUpToDate } = await import('./search/room-index.js');
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
