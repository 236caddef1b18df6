import { promptSafe } from '../../src/coord/prompt-safe.js';
import { messageIdOf } from '../../src/coord/messages/format.js';
import { toMessage } from '../../src/coord/messages/store.js';
import type { ChangeEvent } from '../../src/events/change-event.js';
import { InvalidInputError } from '../../src/errors.js';
import { validateRoomName } from '../../src/keys.js';
import { Room } from '../../src/room.js';
import { subscribe } from '../../src/watch/subscribe.js';
import { contextFrom } from '../context.js';
import { notice as say, problem, type CommonOptions } from '../output.js';

const paint = (on: boolean) => (code: string, text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);

/** `mycelium watch`: a live tail of the room for a person, one readable line (or JSON line) per event. */
export async function watch(options: CommonOptions & { all?: boolean }): Promise<void> {
  const context = contextFrom(options);
  if (options.all && options.room) throw new InvalidInputError('give --room or --all, not both');
  const roomName = options.all ? undefined : context.room;
  if (!options.all && roomName === undefined) throw new InvalidInputError('no room selected; pass --room NAME or --all');
  if (roomName !== undefined) await Room.open(context.home, validateRoomName(roomName));
  const color = paint(Boolean(process.stdout.isTTY) && !options.json);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const rooms = new Map<string, Room>();
  const open = async (name: string) => rooms.get(name) ?? rooms.set(name, await Room.open(context.home, name)).get(name)!;
  const { coordWatch, renderCoord } = await import('./plan-watch.js'); // plan and claim lines (issue 13)
  const coord = coordWatch();
  if (roomName !== undefined) await coord.prime(await open(roomName));
  try {
    for await (const event of subscribe(context.home, {
      room: roomName,
      signal: controller.signal,
      log: problem,
      onNotice: (notice) => {
        if (notice.kind === 'ready') say(`mycelium: watching ${roomName ? `room '${roomName}'` : 'every room'}; Ctrl-C to stop`);
        if (notice.kind === 'ended') process.stderr.write(`mycelium: watch ended: ${notice.reason}\n`);
      },
    })) {
      const item = (await coord.describe(event, open).catch(() => undefined)) ?? (await describe(event, open).catch(() => memoryItem(event)));
      if (options.json) process.stdout.write(JSON.stringify(item) + '\n');
      else process.stdout.write((renderCoord(item, `${event.at.slice(11, 19)}  ${roomName === undefined ? `${event.room}  ` : ''}`, color) ?? render(item, event, roomName === undefined, color)) + '\n');
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function describe(event: ChangeEvent, open: (name: string) => Promise<Room>): Promise<Record<string, unknown>> {
  if (event.type === 'created' && messageIdOf(event.key)) {
    const message = toMessage(await (await open(event.room)).get(event.key));
    return { type: 'message', room: event.room, ...message, text: promptSafe(message.text) };
  }
  return memoryItem(event);
}

/** A memory change as a watch item: `change` is created/updated/deleted/renamed. */
function memoryItem(event: ChangeEvent): Record<string, unknown> {
  const { type, ...rest } = event;
  return { type: 'memory', change: type, ...rest };
}

function render(item: Record<string, unknown>, event: ChangeEvent, showRoom: boolean, color: (code: string, text: string) => string): string {
  const time = event.at.slice(11, 19);
  const where = showRoom ? `${event.room}  ` : '';
  if (item.type === 'message') {
    const who = [...(item.to as string[]), ...(item.mentions as string[])];
    const first = String(item.text).split('\n')[0].slice(0, 200);
    return `${time}  ${where}${color('1;36', String(item.from))}${who.length ? ` → ${[...new Set(who)].join(',')}` : ''}  ${color('33', `[${item.kind}]`)}  ${first}`;
  }
  const key = event.type === 'renamed' ? `${event.from} → ${event.key}` : event.key;
  return `${time}  ${where}${color('2', `${event.type} ${promptSafe(key)}${event.by ? ` by ${event.by}` : ''}`)}`;
}
