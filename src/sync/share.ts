import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { roomsDir } from '../config.js';
import { InvalidInputError, RoomExistsError } from '../errors.js';
import { validateRoomName } from '../keys.js';
import { Room, roomDir, roomNames, roomOptions } from '../room.js';
import type { Env } from '../settings.js';
import { selectIfNoneActive } from '../rooms.js';
import type { SyncReport } from './report.js';
import { readSyncState } from './sync-state.js';

/** Where a sync talks to, given on the command line or in the environment; tokens are never stored. */
export interface RemoteOptions {
  /** Bearer token for a mycelium server (`--token`, `MYCELIUM_TOKEN`). */
  token?: string;
  /**
   * The environment the face was given, handed down: git runs with it (PATH, HOME, GIT_SSH_COMMAND,
   * proxies), and its MYCELIUM_MAX_VALUE_BYTES bounds what a sync writes. Default: an empty one (git
   * then reads no user config and finds itself on the system's default PATH; the value limit is 1 MiB).
   */
  env?: Env;
}

// Git code (simple-git) and HTTP code are imported only when a room uses them, so each sync starts fast.

/** True when a room folder is a git work tree of its own. */
export function isGitRoom(dir: string): boolean {
  return existsSync(join(dir, '.git'));
}

/** The default room name for a clone: the last part of the URL without `.git`. */
export function nameFromUrl(url: string): string {
  return basename(url.replace(/[\\/]+$/, '')).replace(/\.git$/, '');
}

/** True for a mycelium server room address like http://host:8000/rooms/NAME. */
export function isServerUrl(source: string): boolean {
  return /^https?:\/\//i.test(source) && /\/rooms\/[^/]+\/?$/.test(new URL(source).pathname);
}

/**
 * What `room clone SOURCE` means: a URL or path as given; with `MYCELIUM_API_URL` set, a bare room
 * name that is not a local path means that room on the default server. The face resolves it (with
 * the environment it was given) before `cloneRoom`, which takes a URL or path only.
 */
export function resolveCloneSource(source: string, env: Env): string {
  const api = env.MYCELIUM_API_URL?.replace(/\/+$/, '');
  if (!api || source.includes('://') || existsSync(source) || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(source)) return source;
  return `${api}/rooms/${source}`;
}

/** Clones a room from a git remote or a mycelium server into a new local room. */
export async function cloneRoom(
  home: string,
  source: string,
  name: string | undefined,
  handle: string,
  options: RemoteOptions = {},
): Promise<{ room: string; via: 'git' | 'http'; source: string; report?: SyncReport }> {
  const local = validateRoomName(name ?? nameFromUrl(source));
  if ((await roomNames(home)).includes(local)) {
    throw new RoomExistsError(`room '${local}' already exists; pick another name: \`mycelium room clone ${source} OTHER\``);
  }
  await mkdir(roomsDir(home), { recursive: true });
  if (isServerUrl(source)) {
    const { cloneHttpRoom } = await import('./http-sync.js');
    const report = await cloneHttpRoom(home, source, local, handle, options);
    return { room: local, via: 'http', source, report };
  }
  const { cloneInto } = await import('./git-repo.js');
  await cloneInto(source, roomDir(home, local), handle, options.env ?? {});
  await selectIfNoneActive(home, local);
  return { room: local, via: 'git', source };
}

/** Turns an existing room into a git work tree with `url` as its remote (git init, first commit, origin). */
export async function connectGitRemote(home: string, name: string, url: string, handle: string, options: RemoteOptions = {}): Promise<Room> {
  const room = await Room.open(home, name, roomOptions(options.env ?? {}));
  if (await readSyncState(home, name)) {
    throw new InvalidInputError(`room '${name}' syncs with a mycelium server; a room syncs one way only`);
  }
  const { initGitRoom } = await import('./git-repo.js');
  await initGitRoom(room.dir, url, handle, name, options.env ?? {});
  return room;
}

/** How a room is shared, if it is. */
export async function shareKind(home: string, name: string): Promise<'git' | 'http' | undefined> {
  if (await readSyncState(home, name)) return 'http';
  return isGitRoom(roomDir(home, name)) ? 'git' : undefined;
}

/** Syncs one room with its git remote or its mycelium server. */
export async function syncRoom(home: string, name: string, handle: string, options: RemoteOptions = {}): Promise<SyncReport> {
  const room = await Room.open(home, name, roomOptions(options.env ?? {}));
  const kind = await shareKind(home, name);
  const once = async (): Promise<SyncReport | undefined> => {
    if (kind === 'git') return (await import('./git-sync.js')).syncGitRoom(room, handle, options.env ?? {});
    if (kind === 'http') return (await import('./http-sync.js')).syncHttpRoom(room, handle, options);
    return undefined;
  };
  const report = await once();
  if (report) {
    // A sync is where a clash made apart comes to light: its loser gets a message (issue 13). A git
    // sync tells inside itself, between its merge and its push (git-sync.ts). Over HTTP the message
    // goes out at once (a second sync), so the homes that sync next find it and do not tell it again.
    // A failure to tell never fails the sync; the next `claims` or digest tells.
    if (kind !== 'http' || report.incoming.length === 0) return report;
    const notices = await import('../coord/clash-notices.js');
    if (!report.incoming.some((c) => notices.mayBringClash(c.key))) return report;
    const told = await notices.tellClashes(room).catch(() => []);
    if (told.length === 0) return report;
    const again = (await once())!;
    return { ...report, incoming: [...report.incoming, ...again.incoming], outgoing: [...report.outgoing, ...again.outgoing], conflicts: [...report.conflicts, ...again.conflicts] };
  }
  throw new InvalidInputError(
    `room '${name}' is not shared; connect it with \`mycelium room remote ${name} URL\` or clone one with \`mycelium room clone URL\``,
  );
}

/** The rooms of a home that have a git remote or a server, sorted. */
export async function sharedRooms(home: string): Promise<string[]> {
  const shared: string[] = [];
  for (const name of await roomNames(home)) if (await shareKind(home, name)) shared.push(name);
  return shared;
}
