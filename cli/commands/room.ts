import { addRoom, createRoom, listRooms, removeRoom, setActiveRoom } from '../../src/rooms.js';
import { Room } from '../../src/room.js';
import { contextFrom } from '../context.js';
import { printJson, printLine, table, type CommonOptions } from '../output.js';

export async function roomCreate(name: string, options: CommonOptions): Promise<void> {
  const { home } = contextFrom(options);
  const { room, active } = await createRoom(home, name);
  if (options.json) return printJson({ room: room.name, path: room.dir, active });
  printLine(`created room '${room.name}' at ${room.dir}${active ? ' (now the active room)' : ''}`);
}

export async function roomLs(options: CommonOptions): Promise<void> {
  const context = contextFrom(options);
  const rooms = await listRooms(context.home);
  if (options.json) {
    return printJson({ rooms: rooms.map((r) => ({ ...r, active: r.name === context.room })) });
  }
  if (rooms.length === 0) return printLine('no rooms yet; create one with `mycelium room create NAME`');
  const rows = rooms.map((r) => [
    r.name === context.room ? `* ${r.name}` : `  ${r.name}`,
    `${r.memories} ${r.memories === 1 ? 'memory' : 'memories'}`,
    `${r.last_change ?? '-'}${r.linked ? `  -> ${r.path}` : ''}`,
  ]);
  printLine(table(rows));
}

export async function roomUse(name: string, options: CommonOptions & { local?: boolean }): Promise<void> {
  const { home } = contextFrom(options);
  await Room.open(home, name); // refuses unknown rooms, listing the ones there are
  const scope = options.local ? 'local' : 'global';
  const config = await setActiveRoom(home, name, scope, process.cwd(), process.env);
  if (options.json) return printJson({ room: name, scope, config });
  printLine(`now using room '${name}' (${config})`);
}

export async function roomRm(name: string, options: CommonOptions & { force?: boolean; deleteFiles?: boolean }): Promise<void> {
  const { home } = contextFrom(options);
  const removed = await removeRoom(home, name, { force: options.force, deleteFiles: options.deleteFiles });
  if (options.json) return printJson({ room: name, removed: true, ...removed });
  const count = `${removed.memories} ${removed.memories === 1 ? 'memory' : 'memories'}`;
  if (removed.linked && !removed.files_deleted) return printLine(`forgot room '${name}' (${count}); its folder was left as it is`);
  printLine(`removed room '${name}' (${count})`);
}

export async function roomAdd(name: string, dir: string, options: CommonOptions): Promise<void> {
  const { home } = contextFrom(options);
  const { room, active, folder } = await addRoom(home, name, dir);
  const keys = await room.keys();
  if (options.json) return printJson({ room: room.name, path: folder, linked: true, memories: keys.length, active });
  printLine(`added room '${room.name}' in place at ${folder} (${keys.length} ${keys.length === 1 ? 'memory' : 'memories'})${active ? ' (now the active room)' : ''}`);
}
