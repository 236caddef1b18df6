import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, MessageNotFoundError, MemoryNotFoundError } from '../../errors.js';
import { contentHash } from '../../content-hash.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import type { Memory, Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import {
  MESSAGES_PREFIX,
  type Message,
  type MessageKind,
  messageIdOf,
  messageKey,
  newMessageId,
  parseMentions,
  validateKind,
  validateText,
} from './format.js';
import { cursorPath as homeCursorPath } from '../../home-paths.js';

export interface SendInput {
  from: string;
  text: string;
  to?: string[];
  re?: string;
  kind?: string;
  ref?: string;
}

/**
 * The time of the last message this process sent. Ids sort by time to the millisecond, so two
 * messages sent in the same millisecond (the mediator's ticks to each participant) would list in the
 * random order of their suffixes; each message a process sends is stamped at least 1 ms after its
 * previous one, so one sender's messages always list in the order it sent them.
 */
let lastSentMs = 0;

function afterLastSent(at: Date): Date {
  const ms = Math.max(at.getTime(), lastSentMs + 1);
  lastSentMs = ms;
  return ms === at.getTime() ? at : new Date(ms);
}

/** Sends one message: validates everything first, then creates its file exclusively (a name clash retries). */
export async function sendMessage(room: Room, input: SendInput, now: () => Date = () => new Date()): Promise<Message> {
  const from = validateHandle(input.from);
  const text = validateText(input.text);
  const kind: MessageKind = validateKind(input.kind);
  const to = [...new Set((input.to ?? []).map(validateHandle))].filter((h) => h !== from);
  let thread: string | null = null;
  let re: string | null = null;
  if (input.re) {
    const answered = await readMessage(room, input.re);
    re = answered.id;
    thread = answered.thread ?? answered.id;
  }
  const mentions = parseMentions(text, from);
  for (let attempt = 0; ; attempt++) {
    const at = afterLastSent(now());
    const id = newMessageId(from, at);
    const fields = { id, from, mentions, to, re: re ?? undefined, thread: thread ?? undefined, kind, ref: input.ref ?? undefined, text_sha: textSha(text) };
    try {
      await room.create(messageKey(id), text, { handle: from, format: 'text', fields });
      return { id, key: messageKey(id), from, mentions, to, re, thread, kind, ref: input.ref ?? null, created_at: at.toISOString(), text };
    } catch (err) {
      if (err instanceof ConflictError && attempt < 20) continue; // same millisecond, same letters
      throw err;
    }
  }
}

/** Reads one message by id; MessageNotFoundError when there is none. */
export async function readMessage(room: Room, id: string): Promise<Message> {
  const key = messageKey(id);
  try {
    return toMessage(await room.get(key));
  } catch (err) {
    if (err instanceof MemoryNotFoundError) {
      throw new MessageNotFoundError(`no message '${id}' in room '${room.name}'; list ids with \`mycelium room messages\``);
    }
    throw err;
  }
}

/** A message as read from its file; fields a person broke are read leniently (the file is never rewritten). */
export function toMessage(memory: Memory): Message {
  const x = memory.extra;
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const id = messageIdOf(memory.key) ?? String(x.id ?? memory.key);
  return {
    id,
    key: memory.key,
    from: str(x.from) ?? memory.created_by ?? 'unknown',
    mentions: list(x.mentions),
    to: list(x.to),
    re: str(x.re),
    thread: str(x.thread),
    kind: (str(x.kind) ?? 'say') as MessageKind,
    ref: str(x.ref),
    created_at: memory.created_at ?? '',
    text: typeof memory.value === 'string' ? memory.value : JSON.stringify(memory.value),
  };
}

/** A short hash of the text as sent: a message whose text no longer matches was edited by hand. */
export function textSha(text: string): string {
  return contentHash(text).slice(0, 16);
}

/** A warning when a message file was edited by hand after it was sent (it is read as it is now, never rewritten). */
export function editedWarning(room: Room, memory: Memory): string | undefined {
  const sha = memory.extra.text_sha;
  const text = typeof memory.value === 'string' ? memory.value : JSON.stringify(memory.value);
  if (typeof sha === 'string' && sha !== textSha(text)) {
    return `warning: ${room.pathOf(memory.key)}: message edited by hand after it was sent; shown as it is now (messages are never rewritten)`;
  }
  return undefined;
}

/** Every message key in the room, oldest first (ids sort by time). A walk of the files; the index is a cache over it. */
export async function messageKeys(room: Room): Promise<string[]> {
  const root = join(room.dir, MESSAGES_PREFIX);
  const days = (await readdir(root).catch(() => [] as string[])).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort();
  const keys: string[] = [];
  for (const day of days) {
    // Which files are messages: the room's one memory-file rule, then the message id rule.
    for (const key of await room.keys([], `${MESSAGES_PREFIX}${day}`)) {
      if (messageIdOf(key)) keys.push(key);
    }
  }
  return keys;
}

/** Whether a message is addressed to a handle: a mention, `to`, or (given the ids it sent) a reply to it. */
export function isAddressedTo(message: Pick<Message, 'from' | 'mentions' | 'to' | 're'>, handle: string, sentIds?: Set<string>): boolean {
  if (message.from === handle) return false;
  return message.mentions.includes(handle) || message.to.includes(handle) || (message.re !== null && (sentIds?.has(message.re) ?? false));
}

/** Where a handle's read cursor for a room lives: outside the room, so reading makes no commits. */
export function cursorPath(home: string, roomName: string, handle: string): string {
  return homeCursorPath(home, roomName, validateHandle(handle));
}

/** The id a handle has read up to, or undefined (missing or corrupt: a warning is pushed for corrupt). */
export async function readCursor(room: Room, handle: string, warnings: string[] = []): Promise<string | undefined> {
  const path = cursorPath(room.home, room.name, handle);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    const after = (parsed as { after?: unknown }).after;
    if (typeof after === 'string' && messageIdOf(messageKeyOrEmpty(after))) return after;
  } catch {
    // fall through
  }
  warnings.push(`warning: ${path}: corrupt read cursor; read as missing (starting from the first message for you)`);
  return undefined;
}

function messageKeyOrEmpty(id: string): string {
  try {
    return messageKey(id);
  } catch {
    return '';
  }
}

/** Moves a handle's cursor (atomically; only that agent writes it). */
export async function writeCursor(room: Room, handle: string, after: string): Promise<void> {
  await writeFileAtomic(cursorPath(room.home, room.name, handle), `${JSON.stringify({ after })}\n`);
}
