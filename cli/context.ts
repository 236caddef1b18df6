import { resolveContext, requireRoom, type Context } from '../src/config.js';
import { InvalidInputError } from '../src/errors.js';
import { Room } from '../src/room.js';
import type { CommonOptions } from './output.js';

export function contextFrom(options: CommonOptions): Context {
  return resolveContext({ room: options.room, handle: options.handle });
}

/** The room a command acts on, opened (unknown rooms fail with the list of rooms). */
export async function openRoom(options: CommonOptions): Promise<{ context: Context; room: Room }> {
  const context = contextFrom(options);
  return { context, room: await Room.open(context.home, requireRoom(context)) };
}

/** Parses a whole-number flag, with a clear error naming the flag. */
export function wholeNumber(value: string | undefined, flag: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new InvalidInputError(`${flag} takes a whole number${min > 0 ? ` of at least ${min}` : ''}, got '${value}'`);
  }
  return Number(value);
}
