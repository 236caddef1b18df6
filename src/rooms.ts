import { lstat, mkdir, readdir, realpath, rm, stat, symlink, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { findLocalConfig, globalConfigPath, homeFolders, readConfig, removeConfigValue, roomsDir, writeConfigValue } from './config.js';
import { InvalidInputError, RoomExistsError, RoomFolderNotFoundError, RoomFolderOverlapError, RoomNotEmptyError, ioError } from './errors.js';
import { validateRoomName } from './keys.js';
import { Room, linkedFolder, roomDir, roomNames, type RoomOptions } from './room.js';
import { indexDir, syncStatePath } from './home-paths.js';
import type { Env } from './settings.js';

export interface RoomSummary {
  name: string;
  memories: number;
  /** ISO time of the newest memory file change, or null for an empty room. */
  last_change: string | null;
  /** The room's folder: in the home, or wherever a linked room lives. */
  path: string;
  /** True for a room registered in place with `room add` (or a symlink in `rooms/`). */
  linked: boolean;
}

/** Creates an empty room, opened with `options`. The first room in a home becomes the active one. */
export async function createRoom(home: string, name: string, options: RoomOptions = {}): Promise<{ room: Room; active: boolean }> {
  const dir = roomDir(home, validateRoomName(name));
  const existing = await roomNames(home);
  if (existing.includes(name)) {
    throw new RoomExistsError(`room '${name}' already exists; select it with \`mycelium room use ${name}\``);
  }
  try {
    await mkdir(roomsDir(home), { recursive: true });
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RoomExistsError(`room '${name}' already exists; select it with \`mycelium room use ${name}\``);
    }
    throw ioError('create', dir, err);
  }
  const active = await selectIfNoneActive(home, name);
  return { room: await Room.open(home, name, options), active };
}

/** The one rule for a new room (created or cloned, by git or HTTP): it becomes active when none is. */
export async function selectIfNoneActive(home: string, name: string): Promise<boolean> {
  const config = readConfig(globalConfigPath(home));
  if (config.rooms?.active) return false;
  await setActiveRoom(home, name, 'global');
  return true;
}

/** Every room with its memory count and last change, sorted by name. */
export async function listRooms(home: string): Promise<RoomSummary[]> {
  const summaries: RoomSummary[] = [];
  for (const name of await roomNames(home)) summaries.push(await summarizeRoom(home, name));
  return summaries;
}

/** One room's memory count and last change, by a walk of its files (the daemon's status knows both without one). */
export async function summarizeRoom(home: string, name: string): Promise<RoomSummary> {
  const room = await Room.open(home, name);
  const linked = await linkedFolder(home, name);
  const keys = await room.keys();
  let newest = 0;
  for (const key of keys) {
    const info = await stat(room.pathOf(key)).catch(() => undefined);
    if (info && info.mtimeMs > newest) newest = info.mtimeMs;
  }
  return {
    name,
    memories: keys.length,
    last_change: newest > 0 ? new Date(newest).toISOString() : null,
    path: linked ?? room.dir,
    linked: linked !== null,
  };
}

/**
 * Deletes a room. A room that holds anything needs `force`. A linked room is only forgotten (its
 * folder is left as it is) unless `deleteFiles`, which deletes the folder too; `deleteFiles` also
 * stands for `force`.
 */
export async function removeRoom(
  home: string,
  name: string,
  options: { force?: boolean; deleteFiles?: boolean } = {},
): Promise<{ memories: number; linked: boolean; files_deleted: boolean }> {
  validateRoomName(name);
  const linked = await linkedFolder(home, name);
  if (linked !== null) return forgetLinkedRoom(home, name, linked, options.deleteFiles === true);
  const room = await Room.open(home, name);
  const keys = await room.keys();
  const entries = await readdir(room.dir);
  if (entries.length > 0 && !options.force && !options.deleteFiles) {
    throw new RoomNotEmptyError(
      `room '${name}' is not empty (${keys.length} memories); pass --force to delete it and everything in it`,
    );
  }
  try {
    await rm(room.dir, { recursive: true, force: true });
  } catch (err) {
    throw ioError('remove', room.dir, err);
  }
  await forgetDerived(home, name);
  return { memories: keys.length, linked: false, files_deleted: true };
}

async function forgetLinkedRoom(home: string, name: string, folder: string, deleteFiles: boolean) {
  const present = (await stat(folder).catch(() => undefined))?.isDirectory() === true;
  const memories = present ? (await (await Room.open(home, name)).keys()).length : 0;
  try {
    if (deleteFiles && present) await rm(folder, { recursive: true, force: true });
    await unlink(roomDir(home, name));
  } catch (err) {
    throw ioError('remove', deleteFiles ? folder : roomDir(home, name), err);
  }
  await forgetDerived(home, name);
  return { memories, linked: true, files_deleted: deleteFiles && present };
}

/** What mycelium keeps about a room outside its folder: the index, the HTTP sync state, the active-room setting. */
async function forgetDerived(home: string, name: string): Promise<void> {
  try {
    await rm(indexDir(home, name), { recursive: true, force: true });
    await rm(syncStatePath(home, name), { force: true });
  } catch (err) {
    throw ioError('remove', indexDir(home, name), err);
  }
  // The config must not keep pointing at a room that is gone.
  if (readConfig(globalConfigPath(home)).rooms?.active === name) {
    await removeConfigValue(globalConfigPath(home), 'rooms', 'active');
  }
}

/**
 * Registers an existing folder as a room, in place (`room add NAME DIR`): `rooms/NAME` becomes a
 * symlink to it (a junction on Windows), so it is listed, watched, searched, synced and served like
 * any other room and nothing is copied. Refuses a folder inside or around the home or another room:
 * one file must never be two rooms' memory, and the watcher must never see the index.
 */
export async function addRoom(home: string, name: string, folder: string): Promise<{ room: Room; active: boolean; folder: string }> {
  const link = roomDir(home, validateRoomName(name));
  const given = resolve(folder);
  const real = await realpath(given).catch(() => null);
  if (real === null || !(await stat(real)).isDirectory()) {
    throw new RoomFolderNotFoundError(`${given} is not a folder; create it first or check the path`);
  }
  if ((await lstat(link).catch(() => undefined)) !== undefined) {
    throw new RoomExistsError(`room '${name}' already exists; pick another name, or \`mycelium room rm ${name}\` first`);
  }
  const realHome = await realpath(home).catch(() => resolve(home));
  if (overlaps(real, realHome)) {
    throw new RoomFolderOverlapError(`${given} overlaps the mycelium home ${home}; pick a folder outside it (rooms inside the home are made with \`mycelium room create\`)`);
  }
  for (const other of await roomNames(home)) {
    const otherReal = await realpath(roomDir(home, other)).catch(() => null);
    if (otherReal !== null && overlaps(real, otherReal)) {
      throw new RoomFolderOverlapError(`${given} overlaps room '${other}' (${otherReal}); a file can belong to one room only`);
    }
  }
  try {
    await mkdir(roomsDir(home), { recursive: true });
    await symlink(real, link, 'junction');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RoomExistsError(`room '${name}' already exists; pick another name, or \`mycelium room rm ${name}\` first`);
    }
    throw ioError('link', link, err);
  }
  const active = await selectIfNoneActive(home, name);
  return { room: await Room.open(home, name), active, folder: real };
}

/** One folder is the other or lies inside it. */
function overlaps(a: string, b: string): boolean {
  const inside = (x: string, y: string) => x === y || x.startsWith(y.endsWith(sep) ? y : y + sep);
  return inside(a, b) || inside(b, a);
}

/**
 * Where `room use` writes: the home's config.toml, or the project's `.mycelium/config.toml`. `env`:
 * the environment the face was given (its HOME names the default home, never a project; unset: the OS's).
 */
export async function setActiveRoom(
  home: string,
  name: string,
  scope: 'global' | 'local',
  cwd: string = process.cwd(),
  env: Env = {},
): Promise<string> {
  validateRoomName(name);
  const homes = homeFolders(home, env);
  if (scope === 'local' && homes.includes(join(resolve(cwd), '.mycelium'))) {
    throw new InvalidInputError(`${cwd} holds a mycelium home, not a project; run \`room use --local\` in a project folder`);
  }
  const path = scope === 'global' ? globalConfigPath(home) : (findLocalConfig(cwd, homes) ?? join(cwd, '.mycelium', 'config.toml'));
  try {
    await writeConfigValue(path, 'rooms', 'active', name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw ioError('write', path, err);
    throw err;
  }
  return path;
}
