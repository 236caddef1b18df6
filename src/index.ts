/**
 * The mycelium library: what `import … from 'mycelium'` gives. The CLI, HTTP and MCP faces call
 * these same functions. Only the real API is exported here; helpers the library uses inside
 * (atomic writes, locks, rank fusion, the in-process search that bypasses a running daemon) are not.
 *
 * - Errors: one class per error, each with an `exitCode`, a `code` and a fix (`InvalidKeyError`,
 *   `RoomNotFoundError`, `ConflictError`, `PreconditionFailedError`, …).
 * - Keys and files: `normalizeKey`, `isValidKey`, the codec (`parseMemoryFile`, `readHeader`, `serializeMemoryFile`, …).
 * - The store: `Room.open(home, name)` (`get`, `set`, `update`, `remove`, `list`, `keys`, `readRaw`,
 *   `writeRaw`), `createRoom`, `listRooms`, `resolveContext` (home, room and handle as the CLI
 *   resolves them).
 * - Events: `readEvents` (the room's event log) and `subscribe` (live events, from the daemon when
 *   one runs, else from a watcher in this process).
 * - Search: `searchMemories(home, room, query, options)` (through the daemon when one runs, else in
 *   this process); `RoomIndex` and `loadEmbedder` for a long-lived process that keeps its own index.
 * - Sharing: `cloneRoom`, `connectGitRemote`, `syncRoom` (a `SyncReport`), `sharedRooms`.
 * - Where things live: the `home-paths` functions (`roomsDir`, `indexDir`, `eventLogPath`, …).
 */
export * from './errors.js';
export * from './keys.js';
export * from './codec.js';
export * from './config.js';
export * from './room.js';
export * from './rooms.js';
export * from './home-paths.js';
export type { ChangeEvent, LoggedEvent } from './events/change-event.js';
export { readEvents, type ReadEventsResult } from './events/log.js';
export { subscribe, type SubscribeOptions, type SubscribeNotice } from './watch/subscribe.js';
export { runningDaemon } from './ipc/daemon-info.js';
export { RoomIndex, MAX_QUERY_CHARS, type RoomIndexOptions } from './search/room-index.js';
export { searchMemories } from './daemon/client.js';
export { loadEmbedder, defaultPooling, DEFAULT_MODEL, type Embedder, type LoadEmbedderOptions, type LoadedEmbedder, type Pooling } from './search/embedder.js';
export type { SearchOptions, SearchResponse, SearchResult, SearchExplain, SearchMode, ReconcileStats, IndexProgress } from './search/types.js';
export { cloneRoom, connectGitRemote, syncRoom, sharedRooms, shareKind, type RemoteOptions } from './sync/share.js';
export type { SyncReport, KeyChange, ConflictRecord } from './sync/report.js';
export { conflictKey } from './sync/conflict.js';
export { contentHash } from './content-hash.js';
export type { Precondition } from './precondition.js';
