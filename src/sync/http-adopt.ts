import { statSync } from 'node:fs';
import { writeFileAtomic } from '../fs-atomic.js';
import { withLock } from '../lock.js';
import type { Room } from '../room.js';
import { RoomClient } from './http-client.js';
import type { RemoteOptions } from './share.js';
import { readSyncState, writeSyncState } from './sync-state.js';

/**
 * Takes one file the server just wrote (a claim made on the server, issue 13) into the local clone
 * as the server's exact bytes, and records its hash as the sync base, so it shows here at once and
 * the next sync finds both sides the same: no push, no conflict, and when the server later removes
 * it, the sync removes it here too (a file with no base would look like a new local memory and be
 * pushed back). Under the room's sync lock, like a sync. A key changed here since the last sync
 * (or gone from the server already) is left for the sync to settle. Returns whether it was taken.
 */
export async function adoptServerFile(room: Room, key: string, handle: string, options: RemoteOptions = {}): Promise<boolean> {
  return withLock(room.home, `sync/${room.name}`, async () => {
    const state = await readSyncState(room.home, room.name);
    if (!state) return false;
    const remote = await new RoomClient(state.url, options.token, handle).getRaw(key);
    if (!remote) return false;
    const local = await room.readRaw(key);
    if ((local?.hash ?? undefined) !== state.base[key]) return false;
    const path = room.pathOf(key);
    await writeFileAtomic(path, remote.content);
    const info = statSync(path);
    state.base[key] = remote.hash;
    state.stats = { ...(state.stats ?? {}), [key]: [info.mtimeMs, info.size] };
    await writeSyncState(room.home, room.name, state);
    return true;
  });
}
