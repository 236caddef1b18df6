import type { SearchMode, SearchOptions, SearchResponse } from '../search/types.js';
import type { HomeStatus } from './status.js';
import type { TriggerRun } from '../coord/synthesis/trigger.js';

/**
 * The daemon's IPC protocol: one request and one reply shape per op, shared by the client
 * (`askDaemonOp`) and the daemon's handlers. Every request also carries `op` and the token; every
 * reply `ok` (and `error` when not ok). Types only: the CLI loads nothing for it.
 */
export interface ReindexResult {
  memories: number;
  mode: 'hybrid' | 'bm25';
  /** Why vectors were not built (no model, or `mode: 'bm25'` asked). */
  reason?: string;
  ms: number;
}

export interface IpcOps {
  ping: { request: Record<string, never>; reply: { pid: number } };
  status: { request: Record<string, never>; reply: { status: HomeStatus } };
  search: { request: { room: string; query: string; options: SearchOptions }; reply: { response: SearchResponse } };
  /** A writer in another process names the keys it just wrote (read-your-writes). */
  touch: { request: { room: string; keys: string[] }; reply: Record<string, never> };
  reindex: { request: { room: string; mode?: Exclude<SearchMode, 'vector'> }; reply: ReindexResult };
  stop: { request: Record<string, never>; reply: { pid: number } };
  /**
   * A room's synthesis trigger, from the daemon's known state (it reads only the files that may have
   * changed since the last synthesis): `run` checks it (and synthesizes when due, by `handle`),
   * else only counts what is pending.
   */
  trigger: { request: { room: string; run: boolean; handle?: string }; reply: { run?: TriggerRun; pending: number } };
}

export type IpcOp = keyof IpcOps;
export type IpcRequestOf<Op extends IpcOp> = IpcOps[Op]['request'];
export type IpcReplyOf<Op extends IpcOp> = IpcOps[Op]['reply'];
