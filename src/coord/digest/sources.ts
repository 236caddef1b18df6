import type { Room } from '../../room.js';
import { messageIdOf, messageKey } from '../messages/format.js';
import { isAddressedTo, messageKeys, readCursor, toMessage } from '../messages/store.js';
import type { DigestDecision, DigestMention } from './model.js';

/**
 * How many unread messages a digest reads at most, newest first. A digest runs before every prompt:
 * an agent that never opened its inbox in a room of 10,000 messages must not make each prompt wait
 * for 10,000 file reads. Beyond this the digest says so and points at `mycelium inbox`.
 */
export const MESSAGE_SCAN_LIMIT = 400;

/** The decisions folder: memories there are the room's decisions (one rule, used by the digest). */
export const DECISIONS_PREFIX = 'decisions/';

const senderOf = (id: string) => /Z-(.+)-[a-z0-9]{4}$/.exec(id)?.[1];

/**
 * Unread messages addressed to `handle` (mentions, `to`, replies to it), newest first, read only
 * from the files after the handle's inbox cursor; the cursor is not moved (that is `inbox`'s job).
 * A reply is recognised from the sender in the file names, so no file before the cursor is read.
 */
export async function unreadMentions(
  room: Room,
  handle: string,
  warnings: string[],
  /** Skip messages up to this key too (a delta digest: the last digest already looked at them). */
  seenUpTo = '',
): Promise<{ items: DigestMention[]; scanLimited: boolean; newest: string }> {
  const after = await readCursor(room, handle, warnings);
  const inboxBound = after ? messageKey(after) : '';
  const bound = seenUpTo > inboxBound ? seenUpTo : inboxBound;
  const keys = await messageKeys(room);
  const sent = new Set<string>();
  for (const key of keys) {
    const id = messageIdOf(key);
    if (id && senderOf(id) === handle) sent.add(id);
  }
  const unread = keys.filter((k) => k > bound);
  const scanned = unread.slice(-MESSAGE_SCAN_LIMIT).reverse();
  const items: DigestMention[] = [];
  for (const key of scanned) {
    let message;
    try {
      message = toMessage(await room.get(key));
    } catch {
      continue; // removed or unreadable: `inbox` reports it
    }
    if (!isAddressedTo(message, handle, sent)) continue;
    items.push({ fingerprint: `m:${message.id}`, id: message.id, from: message.from, kind: message.kind, at: message.created_at, text: message.text });
  }
  return { items, scanLimited: unread.length > scanned.length, newest: keys[keys.length - 1] ?? '' };
}

/** Decisions (memories under `decisions/`), most recently changed first. */
export async function recentDecisions(room: Room, warnings: string[]): Promise<DigestDecision[]> {
  const keys = await room.keys(warnings, DECISIONS_PREFIX);
  const out: DigestDecision[] = [];
  for (const key of keys) {
    let memory;
    try {
      memory = await room.get(key);
    } catch {
      continue;
    }
    const text = typeof memory.value === 'string' ? memory.value : JSON.stringify(memory.value);
    out.push({
      fingerprint: `d:${key}@${memory.version}:${memory.updated_at ?? ''}`,
      key,
      version: memory.version,
      updated_by: memory.updated_by,
      updated_at: memory.updated_at,
      first_line: text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '',
    });
  }
  return out.sort((a, b) => (b.updated_at ?? '').localeCompare(a.updated_at ?? ''));
}
