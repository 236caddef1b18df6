import { InvalidInputError } from '../../errors.js';
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import { MESSAGES_PREFIX, type Message, messageIdOf, messageKey } from './format.js';
import { MessageIndex, type MessageRow } from './index-cache.js';
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
  let after = ''; // keys after this one (a since id)
  let sinceTime = -Infinity; // created at or after this (a since date)
  if (options.since) {
    if (messageIdOf(safeKey(options.since))) after = messageKey(options.since);
    else {
      sinceTime = Date.parse(options.since);
      if (!Number.isFinite(sinceTime)) throw new InvalidInputError(`--since '${options.since}' is neither a message id nor a date; use e.g. 2026-12-03 or an id from \`mycelium room messages\``);
    }
  }
  const from = options.from ? validateHandle(options.from) : undefined;
  const mention = options.mention ? validateHandle(options.mention) : undefined;
  const index = await MessageIndex.open(room, warnings);
  // Days that cannot hold a match are never read: before the since bound, without the sender or the mention.
  const firstDay = after ? after.slice(MESSAGES_PREFIX.length, MESSAGES_PREFIX.length + 10) : sinceTime > -Infinity && !index.irregular ? new Date(sinceTime).toISOString().slice(0, 10) : '';
  const days = index.days.filter((day) => {
    const summary = index.summary(day)!;
    return day >= firstDay && (!from || summary.senders.includes(from)) && (!mention || summary.recipients.includes(mention));
  });
  const matches = (row: MessageRow) =>
    row.key > after &&
    (sinceTime === -Infinity || Date.parse(row.created_at) >= sinceTime) &&
    (!from || row.from === from) &&
    (!mention || row.mentions.includes(mention)) &&
    (!options.thread || row.thread === options.thread || row.id === options.thread);
  const chosen: MessageRow[] = [];
  if (options.limit !== undefined && options.first === undefined) {
    // The newest N: walk the days newest first and stop once N are found.
    for (let d = days.length - 1; d >= 0 && chosen.length < options.limit; d--) {
      const rows = await index.rows(days[d]);
      for (let i = rows.length - 1; i >= 0 && chosen.length < options.limit; i--) if (matches(rows[i])) chosen.push(rows[i]);
    }
    chosen.reverse();
  } else {
    const cap = options.first ?? Infinity;
    outer: for (const day of days) {
      for (const row of await index.rows(day)) {
        if (chosen.length >= cap) break outer;
        if (matches(row)) chosen.push(row);
      }
    }
  }
  const kept = options.first !== undefined && options.limit !== undefined ? chosen.slice(Math.max(0, chosen.length - options.limit)) : chosen;
  return readRows(room, kept, warnings);
}

export interface InboxOptions {
  /** Don't advance the read cursor. */
  peek?: boolean;
  /** Broadcasts (no mention, no `to`) count as addressed too. */
  all?: boolean;
  limit?: number;
}

/**
 * The unread rule, the one `inbox` and the digest share: the index rows of messages addressed to a
 * handle (mentions, `to`, replies to its messages; with `all`, broadcasts too) after its read
 * cursor, oldest first. A missing cursor starts at the beginning, so nothing sent before the first
 * read is lost. Only days that may hold one are read (the index's summaries); no message file is.
 */
export async function unreadRows(room: Room, handle: string, options: Pick<InboxOptions, 'all' | 'limit'> = {}, warnings: string[] = []): Promise<MessageRow[]> {
  const after = await readCursor(room, handle, warnings);
  const bound = after ? messageKey(after) : '';
  const index = await MessageIndex.open(room, warnings);
  const firstDay = after ? after.slice(0, 10) : '';
  const byName = !index.irregular; // replies are summarised by the sender an id names; exact unless a file says otherwise
  const sent = new Set<string>(); // ids of this handle's messages that rows here answer
  const unread: MessageRow[] = [];
  outer: for (const day of index.days) {
    if (day < firstDay) continue;
    const summary = index.summary(day)!;
    const mayHold = summary.recipients.includes(handle) || (options.all && summary.broadcasts) || !byName || summary.repliesTo.includes(handle);
    if (!mayHold) continue;
    for (const row of await index.rows(day)) {
      if (row.key <= bound) continue;
      if (row.re !== null && !sent.has(row.re) && row.from !== handle && (await index.find(row.re))?.from === handle) sent.add(row.re);
      const broadcast = row.mentions.length === 0 && row.to.length === 0;
      if (isAddressedTo(row, handle, sent) || (options.all && broadcast && row.from !== handle)) unread.push(row);
      if (options.limit !== undefined && unread.length >= options.limit) break outer;
    }
  }
  return unread;
}

/**
 * Unread messages addressed to a handle (the unread rule above), oldest first. Reading advances the
 * cursor to the last message returned unless `peek`.
 */
export async function readInbox(room: Room, handleInput: string, options: InboxOptions = {}, warnings: string[] = []): Promise<Message[]> {
  const handle = validateHandle(handleInput);
  const unread = await unreadRows(room, handle, options, warnings);
  const messages = await readRows(room, unread, warnings);
  if (!options.peek && unread.length > 0) await writeCursor(room, handle, unread[unread.length - 1].id);
  return messages;
}

/** The whole messages of index rows: each file read now (text and all), in the rows' order. */
export async function readRows(room: Room, rows: MessageRow[], warnings: string[]): Promise<Message[]> {
  // Read a few at a time: each read is several file-system round trips, so one after another the
  // waits add up (50 messages: ~20 ms); warnings stay in the rows' order.
  const found: (Message | undefined)[] = new Array(rows.length);
  const said: string[][] = rows.map(() => []);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < rows.length; i = next++) found[i] = await readLenient(room, rows[i].key, said[i]);
  };
  await Promise.all(Array.from({ length: Math.min(READ_AHEAD, rows.length) }, worker));
  for (const w of said) warnings.push(...w);
  return found.filter((m): m is Message => m !== undefined);
}

/** How many message files are read at once. */
const READ_AHEAD = 16;

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
