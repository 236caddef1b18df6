import { InvalidInputError } from '../../errors.js';
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import { type Message, messageIdOf, messageKey } from './format.js';
import { type MessageRow, messageRows } from './index-cache.js';
import { editedWarning, isAddressedTo, readCursor, toMessage, writeCursor } from './store.js';

export interface ListMessagesOptions {
  /** Only messages after this id (exclusive) or at/after this ISO date. */
  since?: string;
  from?: string;
  mention?: string;
  thread?: string;
  /** Keep the newest N of the matches (still printed oldest first). */
  limit?: number;
  /** Keep the oldest N of the matches instead (a page forward from `since`; HTTP and MCP paging). */
  first?: number;
}

/** Messages in the room, oldest first, filtered (on the messages index); files that no longer read as messages are skipped with a warning. */
export async function listMessages(room: Room, options: ListMessagesOptions = {}, warnings: string[] = []): Promise<Message[]> {
  let rows = await messageRows(room, warnings);
  if (options.since) {
    const bound = messageIdOf(safeKey(options.since)) ? messageKey(options.since) : undefined;
    if (bound) rows = rows.filter((r) => r.key > bound);
    else {
      const sinceTime = Date.parse(options.since);
      if (!Number.isFinite(sinceTime)) throw new InvalidInputError(`--since '${options.since}' is neither a message id nor a date; use e.g. 2026-12-03 or an id from \`mycelium room messages\``);
      rows = rows.filter((r) => Date.parse(r.created_at) >= sinceTime);
    }
  }
  const from = options.from ? validateHandle(options.from) : undefined;
  const mention = options.mention ? validateHandle(options.mention) : undefined;
  const matched: MessageRow[] = [];
  for (const row of rows) {
    if (from && row.from !== from) continue;
    if (mention && !row.mentions.includes(mention)) continue;
    if (options.thread && row.thread !== options.thread && row.id !== options.thread) continue;
    matched.push(row);
    if (options.first !== undefined && matched.length >= options.first) break;
  }
  const chosen = options.limit !== undefined ? matched.slice(Math.max(0, matched.length - options.limit)) : matched;
  return readRows(room, chosen, warnings);
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
  const unread: MessageRow[] = [];
  for (const row of await messageRows(room, warnings)) {
    if (row.from === handle) sent.add(row.id);
    if (row.key <= bound) continue;
    const broadcast = row.mentions.length === 0 && row.to.length === 0;
    if (isAddressedTo(row, handle, sent) || (options.all && broadcast && row.from !== handle)) unread.push(row);
    if (options.limit !== undefined && unread.length >= options.limit) break;
  }
  const messages = await readRows(room, unread, warnings);
  if (!options.peek && unread.length > 0) await writeCursor(room, handle, unread[unread.length - 1].id);
  return messages;
}

/** The whole messages of index rows: each file read now (text and all), in the rows' order. */
async function readRows(room: Room, rows: MessageRow[], warnings: string[]): Promise<Message[]> {
  const out: Message[] = [];
  for (const row of rows) {
    const message = await readLenient(room, row.key, warnings);
    if (message) out.push(message);
  }
  return out;
}

async function readLenient(room: Room, key: string, warnings: string[]): Promise<Message | undefined> {
  try {
    const memory = await room.get(key);
    for (const w of memory.warnings) warnings.push(w);
    const edited = editedWarning(room, memory);
    if (edited) warnings.push(edited);
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
