import type { Room } from '../room.js';
import type { SyncReport } from './report.js';
import type { RemoteOptions } from './share.js';

export async function cloneHttpRoom(home: string, url: string, name: string, handle: string, options: RemoteOptions): Promise<SyncReport> {
  throw new Error(`not yet ${home} ${url} ${name} ${handle} ${options}`);
}

export async function syncHttpRoom(room: Room, handle: string, options: RemoteOptions): Promise<SyncReport> {
  throw new Error(`not yet ${room} ${handle} ${options}`);
}
