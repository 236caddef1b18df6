/** The mycelium library: the CLI, HTTP and MCP faces all call these. */
export * from './errors.js';
export * from './keys.js';
export * from './codec.js';
export * from './config.js';
export * from './room.js';
export * from './rooms.js';
export { writeFileAtomic } from './fs-atomic.js';
export { withLock } from './lock.js';
export type { ChangeEvent, LoggedEvent } from './events/change-event.js';
export { readEvents, eventLogPath, type ReadEventsResult } from './events/log.js';
export { subscribe, type SubscribeOptions, type SubscribeNotice } from './watch/subscribe.js';
export { runningDaemon } from './daemon/files.js';
export { RoomIndex, searchRoom, MAX_QUERY_CHARS, type RoomIndexOptions } from './search/room-index.js';
export { loadEmbedder, defaultPooling, DEFAULT_MODEL, type Embedder, type LoadEmbedderOptions, type LoadedEmbedder, type Pooling } from './search/embedder.js';
export type { SearchOptions, SearchResponse, SearchResult, SearchExplain, SearchMode, ReconcileStats, IndexProgress } from './search/types.js';
export { fuseRankings, vectorTrust, RRF_BASELINE, DEFAULT_FUSION, type FusionParameters, type Ranked, type Fused } from './search/fusion.js';
export { DEFAULT_BM25, type Bm25Parameters } from './search/bm25.js';
