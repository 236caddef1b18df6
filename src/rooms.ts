import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { findLocalConfig, globalConfigPath, homeFolders, readConfig, removeConfigValue, roomsDir, writeConfigValue } from './config.js';
import { InvalidInputError, RoomExistsError, RoomNotEmptyError, ioError } from './errors.js';
import { validateRoomName } from './keys.js';
import { Room, roomDir, roomNames } from './room.js';

export interface RoomSummary {
  name: string;
  memories: number;
  /** ISO time of the newest memory file change, or null for an empty room. */
  last_change: string | null;
  path: string;
}

/** Creates an empty room. The first room in a home becomes the active one. */
export async function createRoom(home: string, name: string): Promise<{ room: Room; active: boolean }> {
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
  return { room: await Room.open(home, name), active };
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
  for (const name of await roomNames(home)) {
    const room = await Room.open(home, name);
    const keys = await room.keys();
    let newest = 0;
    for (const key of keys) {
      const info = await stat(room.pathOf(key)).catch(() => undefined);
      if (info && info.mtimeMs > newest) newest = info.mtimeMs;
    }
    summaries.push({
      name,
      memories: keys.length,
      last_change: newest > 0 ? new Date(newest).toISOString() : null,
      path: room.dir,
    });
  }
  return summaries;
}

/** Deletes a room. A room that holds anything needs `force`. */
export async function removeRoom(home: string, name: string, options: { force?: boolean } = {}): Promise<{ memories: number }> {
  const room = await Room.open(home, name);
  const keys = await room.keys();
  const entries = await readdir(room.dir);
  if (entries.length > 0 && !options.force) {
    throw new RoomNotEmptyError(
      `room '${name}' is not empty (${keys.length} memories); pass --force to delete it and everything in it`,
    );
  }
  try {
    await rm(room.dir, { recursive: true, force: true });
    await rm(join(home, 'index', name), { recursive: true, force: true });
    await rm(join(home, 'sync', `${name}.json`), { force: true });
  } catch (err) {
    throw ioError('remove', room.dir, err);
  }
  // The config must not keep pointing at a room that is gone.
  if (readConfig(globalConfigPath(home)).rooms?.active === name) {
    await removeConfigValue(globalConfigPath(home), 'rooms', 'active');
  }
  return { memories: keys.length };
}

/** Where `room use` writes: the home's config.toml, or the project's `.mycelium/config.toml`. */
export async function setActiveRoom(
  home: string,
  name: string,
  scope: 'global' | 'local',
  cwd: string = process.cwd(),
): Promise<string> {
  validateRoomName(name);
  const homes = homeFolders(home);
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
