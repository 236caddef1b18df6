import { InvalidInputError } from '../../errors.js';
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import { type Message, messageIdOf, messageKey } from './format.js';
import { isAddressedTo, messageKeys, readCursor, toMessage, writeCursor } from './store.js';

export interface ListMessagesOptions {
  /** Only messages after this id (exclusive) or at/after this ISO date. */
  since?: string;
  from?: string;
  mention?: string;
  thread?: string;
  /** Keep the newest N of the matches (still printed oldest first). */
  limit?: number;
}

/** Messages in the room, oldest first, filtered. Files that no longer read as messages are skipped with a warning. */
export async function listMessages(room: Room, options: ListMessagesOptions = {}, warnings: string[] = []): Promise<Message[]> {
  let keys = await messageKeys(room);
  let sinceTime: number | undefined;
  if (options.since) {
    const bound = messageIdOf(safeKey(options.since)) ? messageKey(options.since) : undefined;
    if (bound) keys = keys.filter((k) => k > bound);
    else {
      sinceTime = Date.parse(options.since);
      if (!Number.isFinite(sinceTime)) throw new InvalidInputError(`--since '${options.since}' is neither a message id nor a date; use e.g. 2026-12-03 or an id from \`mycelium room messages\``);
    }
  }
  const out: Message[] = [];
  for (const key of keys) {
    const message = await readLenient(room, key, warnings);
    if (!message) continue;
    if (sinceTime !== undefined && !(Date.parse(message.created_at) >= sinceTime)) continue;
    if (options.from && message.from !== validateHandle(options.from)) continue;
    if (options.mention && !message.mentions.includes(validateHandle(options.mention))) continue;
    if (options.thread && message.thread !== options.thread && message.id !== options.thread) continue;
    out.push(message);
  }
  return options.limit !== undefined ? out.slice(Math.max(0, out.length - options.limit)) : out;
}

export interface InboxOptions {
  /** Don't advance the read cursor. */
  peek?: boolean;
  /** Broadcasts (no mention, no `to`) count as addressed too. */
  all?: boolean;
  limit?: number;
}

/**
 * Unread messages addressed to a handle (mentions, `to`, replies to its messages), oldest first. A
 * missing cursor starts at the beginning, so nothing sent before the first read is lost. Reading
 * advances the cursor to the last message returned unless `peek`.
 */
export async function readInbox(room: Room, handleInput: string, options: InboxOptions = {}, warnings: string[] = []): Promise<Message[]> {
  const handle = validateHandle(handleInput);
  const after = await readCursor(room, handle, warnings);
  const bound = after ? messageKey(after) : '';
  const sent = new Set<string>();
  const unread: Message[] = [];
  for (const key of await messageKeys(room)) {
    const message = await readLenient(room, key, warnings);
    if (!message) continue;
    if (message.from === handle) sent.add(message.id);
    if (key <= bound) continue;
    const broadcast = message.mentions.length === 0 && message.to.length === 0;
    if (isAddressedTo(message, handle, sent) || (options.all && broadcast && message.from !== handle)) unread.push(message);
    if (options.limit !== undefined && unread.length >= options.limit) break;
  }
  if (!options.peek && unread.length > 0) await writeCursor(room, handle, unread[unread.length - 1].id);
  return unread;
}

async function readLenient(room: Room, key: string, warnings: string[]): Promise<Message | undefined> {
  try {
    const memory = await room.get(key);
    for (const w of memory.warnings) warnings.push(w);
    return toMessage(memory);
  } catch {
    warnings.push(`warning: ${room.pathOf(key)}: message deleted or unreadable; skipped (messages are never rewritten)`);
    return undefined;
  }
}

function safeKey(id: string): string {
  try {
    return messageKey(id);
  } catch {
    return '';
  }
}
