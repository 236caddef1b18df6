import { readEvents } from '../events/log.js';
import { roomDir, roomNames } from '../room.js';
import { RoomState, type FileProblem } from '../watch/room-state.js';
import { describeModelOffline, type ModelStatus } from './index-owner.js';
import type { Settings } from '../settings.js';
import type { WatchFailure } from '../watch/normalizer.js';

/** One room in `mycelium status --json`. */
export interface RoomStatus {
  name: string;
  memories: number;
  /** ISO time of the newest memory file change the watcher knows of; null for an empty room. */
  last_change: string | null;
  /** Raw changes seen but not yet handled (0 without a daemon: nothing is watching). */
  pending_events: number;
  /** Milliseconds since the oldest change not yet indexed; null when everything is indexed (or no daemon). */
  index_lag_ms: number | null;
  /** Files the room cannot use as they are: broken frontmatter, unreadable (path and reason). */
  problems: FileProblem[];
  /** When the daemon last compared the room with its files; null without a daemon. */
  last_reconcile: string | null;
  /**
   * The last batch of changes the daemon could not hand on (the index or the event log failed) and
   * whether it still waits for its retry; null when none failed (or no daemon).
   */
  watch_failure: WatchFailure | null;
}

/** `mycelium status --json`. */
export interface HomeStatus {
  home: string;
  daemon: { running: boolean; pid: number | null; started_at: string | null };
  model: ModelStatus;
  /** The newest event-log cursor (what `memory subscribe --since` takes). */
  cursor: number;
  rooms: RoomStatus[];
}

/** Status computed in this process when no daemon runs: a full read of every room. */
export async function offlineStatus(home: string, settings: Settings): Promise<HomeStatus> {
  const rooms: RoomStatus[] = [];
  let cursor = 0;
  for (const name of await roomNames(home)) {
    const state = new RoomState(name, roomDir(home, name));
    await state.reconcile();
    cursor = Math.max(cursor, (await readEvents(home, name)).cursor);
    rooms.push({
      name,
      memories: state.files.size,
      last_change: state.newestChange(),
      pending_events: 0,
      index_lag_ms: null,
      problems: [...state.problems.values()],
      last_reconcile: null,
      watch_failure: null,
    });
  }
  return { home, daemon: { running: false, pid: null, started_at: null }, model: await describeModelOffline(settings), cursor, rooms };
}
