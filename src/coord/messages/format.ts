/**
 * On-disk layout of messages (issue 12). Every message is one immutable file in the room:
 *
 *   messages/<yyyy-mm-dd>/<hhmmss.mmm>Z-<handle>-<4 random base36>.md
 *
 * frontmatter: id (the key's last segment), from, mentions (handles parsed from the text), to
 * (explicit recipients), re (the id it answers), thread (id of the first message), kind, ref,
 * created_at; the body is the text (≤ 64 KiB). Ids sort by time, so a listing sorted by key is the
 * room's history oldest first. Files are created exclusively and never rewritten.
 *
 * Read cursors live outside the room, so reading creates no commits:
 *   $MYCELIUM_HOME/cursors/<room>/<handle>.json   {"after": "<last id read>"}
 * Agent cards: see ../agents.ts.
 */
import { nodeCrypto } from '../../content-hash.js';
import { InvalidMessageError } from '../../errors.js';
import { HANDLE_CHAR, isValidHandle } from '../handle.js';

export const MESSAGES_PREFIX = 'messages/';
/**
 * What a memory listing (`memory ls`, `GET /rooms/:room/memory`, `memory_ls`) leaves out: the
 * message store, unless the prefix asks for it (`messages/…`). A room of 100,000 messages lists its
 * memories without walking them; `room messages` is the listing of messages.
 */
export function memoryListSkip(prefix?: string): string[] {
  return prefix !== undefined && (prefix === 'messages' || prefix.startsWith(MESSAGES_PREFIX)) ? [] : [MESSAGES_PREFIX];
}

export const MAX_MESSAGE_BYTES = 64 * 1024;
export const MESSAGE_KINDS = ['say', 'ask', 'reply', 'start', 'done', 'need', 'up', 'down', 'block'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export interface Message {
  id: string;
  key: string;
  from: string;
  mentions: string[];
  to: string[];
  re: string | null;
  thread: string | null;
  kind: MessageKind;
  ref: string | null;
  created_at: string;
  text: string;
}

const ID_PATTERN = /^(\d{4}-\d{2}-\d{2})T?(\d{6}\.\d{3})Z-([a-z0-9_.-]+)-([a-z0-9]{4})$/;

/** A fresh id for a message sent now: `<yyyy-mm-dd>T<hhmmss.mmm>Z-<handle>-<rand4>`. */
export function newMessageId(from: string, at: Date): string {
  const iso = at.toISOString(); // 2026-12-03T06:02:31.123Z
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 23).replace(/:/g, '');
  const rand = [...nodeCrypto().randomBytes(4)].map((b) => (b % 36).toString(36)).join('');
  return `${day}T${time}Z-${from}-${rand}`;
}

/** The room key of a message id: messages/<day>/<time>Z-<handle>-<rand>. */
export function messageKey(id: string): string {
  const match = ID_PATTERN.exec(id);
  if (!match) throw new InvalidMessageError(`'${id}' is not a message id (like 2026-12-03T060231.123Z-ana-x7k2); list ids with \`mycelium room messages\``);
  return `${MESSAGES_PREFIX}${match[1]}/${match[2]}Z-${match[3]}-${match[4]}`;
}

/** The id of a message key (the inverse of messageKey), or undefined for a key that is no message. */
export function messageIdOf(key: string): string | undefined {
  const match = /^messages\/(\d{4}-\d{2}-\d{2})\/(\d{6}\.\d{3})Z-([a-z0-9_.-]+)-([a-z0-9]{4})$/.exec(key);
  return match ? `${match[1]}T${match[2]}Z-${match[3]}-${match[4]}` : undefined;
}

/** `@handle` anywhere, case-insensitive, ending where a non-handle character follows; sender excluded. */
export function parseMentions(text: string, from: string): string[] {
  const found = new Set<string>();
  const pattern = /(^|[^A-Za-z0-9_.-])@([A-Za-z0-9][A-Za-z0-9_.-]*)/g;
  for (const match of text.matchAll(pattern)) {
    let handle = match[2].toLowerCase().replace(/\.+$/, ''); // "@ana." at a sentence end
    const next = text[(match.index ?? 0) + match[0].length];
    if (next !== undefined && HANDLE_CHAR.test(next)) continue;
    if (handle !== from && isValidHandle(handle)) found.add(handle);
  }
  return [...found];
}

export function validateKind(kind: string | undefined): MessageKind {
  const value = (kind ?? 'say').toLowerCase();
  if (!(MESSAGE_KINDS as readonly string[]).includes(value)) {
    throw new InvalidMessageError(`unknown kind '${kind}'; use one of ${MESSAGE_KINDS.join(', ')}`);
  }
  return value as MessageKind;
}

/** Checks a message text: not blank, at most 64 KiB. */
export function validateText(text: string): string {
  if (text.trim() === '') throw new InvalidMessageError('empty message; give the text as an argument or on stdin with -');
  const size = Buffer.byteLength(text);
  if (size > MAX_MESSAGE_BYTES) {
    throw new InvalidMessageError(`message is ${size} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit; send less or point to a memory with --ref`);
  }
  return text;
}
