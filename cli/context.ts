import { resolveContext, requireRoom, type Context } from '../src/config.js';
import { InvalidHandleError, InvalidInputError } from '../src/errors.js';
import { Room, roomOptions } from '../src/room.js';
import type { CommonOptions } from './output.js';

export function contextFrom(options: CommonOptions): Context {
  // Given but empty (`--handle "$UNSET_VAR"`): an error, never a silent fall-back to another identity.
  if (options.handle !== undefined && options.handle.trim() === '') {
    throw new InvalidHandleError('--handle is empty; give a handle such as claude-agent, or leave the flag out to use MYCELIUM_AGENT_HANDLE');
  }
  return resolveContext({ room: options.room, handle: options.handle, env: process.env });
}

/** The room a command acts on, opened (unknown rooms fail with the list of rooms). */
export async function openRoom(options: CommonOptions): Promise<{ context: Context; room: Room }> {
  const context = contextFrom(options);
  return { context, room: await Room.open(context.home, requireRoom(context), roomOptions(process.env)) };
}

/** Parses a whole-number flag, with a clear error naming the flag. */
export function wholeNumber(value: string | undefined, flag: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new InvalidInputError(`${flag} takes a whole number${min > 0 ? ` of at least ${min}` : ''}, got '${value}'`);
  }
  return Number(value);
}
