import { readFile, rm } from 'node:fs/promises';
import { InvalidInputError, ioError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { validateRoomName } from '../keys.js';
import { syncStatePath as homeSyncStatePath } from '../home-paths.js';

/**
 * What an HTTP-synced room remembers between syncs. Kept in `$MYCELIUM_HOME/sync/<room>.json`,
 * outside the room, so `cat`, `grep` and `git` of the room see only its memories. Never a token.
 */
export interface SyncState {
  /** The room's address on the server, e.g. http://127.0.0.1:8000/rooms/team. */
  url: string;
  /** The server's change-feed cursor up to which this room has pulled. */
  cursor: string;
  /** Per key, the content hash both sides agreed on at the last sync: the base for pushes. */
  base: Record<string, string>;
  /** Per key, [mtimeMs, size] of the local file when its hash was last taken: unchanged files are not re-read. */
  stats?: Record<string, [number, number]>;
}

export function syncStatePath(home: string, room: string): string {
  return homeSyncStatePath(home, validateRoomName(room));
}

/**
 * Where an HTTP clone is built before it becomes a room: `$MYCELIUM_HOME/.staging/clone-<pid>-<hex>/`,
 * a small home of its own (rooms/, sync/, locks/) outside `rooms/`, so nothing sees a half room.
 */
export { cloneStagingRoot } from '../home-paths.js';

export async function readSyncState(home: string, room: string): Promise<SyncState | undefined> {
  const path = syncStatePath(home, room);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', path, err);
  }
  try {
    const state = JSON.parse(text) as SyncState;
    if (typeof state.url !== 'string' || typeof state.cursor !== 'string' || typeof state.base !== 'object') throw new Error('missing fields');
    return state;
  } catch (err) {
    throw new InvalidInputError(`cannot read ${path} (${(err as Error).message}); delete it and clone the room again`);
  }
}

export async function writeSyncState(home: string, room: string, state: SyncState): Promise<void> {
  const path = syncStatePath(home, room);
  try {
    await writeFileAtomic(path, JSON.stringify(state) + '\n');
  } catch (err) {
    throw ioError('write', path, err);
  }
}

export async function removeSyncState(home: string, room: string): Promise<void> {
  await rm(syncStatePath(home, room), { force: true });
}
