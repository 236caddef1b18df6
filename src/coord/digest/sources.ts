import type { Room } from '../../room.js';
import type { DigestDecision, DigestMention } from './model.js';
import { byCodeUnit } from '../../text-order.js';

/**
 * How many unread messages a digest reads at most, newest first. Which messages are unread is the
 * inbox's rule on the messages index (no file read); only the messages shown are read, and a digest
 * shows a dozen at most (render.ts), so an agent that never opened its inbox in a room of 10,000
 * messages costs a prompt 50 file reads, not 10,000. The count covers all of them.
 */
export const MESSAGE_READ_LIMIT = 50;

/** The decisions folder: memories there are the room's decisions (one rule, used by the digest). */
export const DECISIONS_PREFIX = 'decisions/';

/**
 * Unread messages addressed to `handle`, newest first: `inbox`'s unread rule (unreadRows: mentions,
 * `to`, replies to it, after its inbox cursor); the cursor is not moved (that is `inbox`'s job).
 */
export async function unreadMentions(
  room: Room,
  handle: string,
  warnings: string[],
  /** Skip messages up to this key too (a delta digest: the last digest already looked at them). */
  seenUpTo = '',
): Promise<{
  items: DigestMention[];
  /** How many there are (all of them, not only the ones read). */
  unread: number;
  scanLimited: boolean;
  /** The newest message key looked at: a delta digest skips up to here. */
  newest: string;
}> {
  // Loaded here, not up front: a digest whose messages part is cached never opens the messages index.
  const [{ readRows, unreadRows }, { eventOfMessage }] = await Promise.all([import('../messages/inbox.js'), import('../negotiation/message-event.js')]);
  const all = await unreadRows(room, handle, {}, warnings);
  const rows = all.filter((r) => r.key > seenUpTo);
  const read = rows.slice(-MESSAGE_READ_LIMIT).reverse();
  const items: DigestMention[] = [];
  let ticks = 0;
  for (const message of await readRows(room, read, [])) { // unreadable files: `inbox` reports them
    // A mediator's tick is shown, current, in the negotiation section (with the command to answer);
    // the tick messages of past rounds would only repeat stale offers. The consensus message stays.
    if (eventOfMessage(message)?.type === 'tick') {
      ticks++;
      continue;
    }
    items.push({ fingerprint: `m:${message.id}`, id: message.id, from: message.from, kind: message.kind, at: message.created_at, text: message.text });
  }
  return { items, unread: rows.length - ticks, scanLimited: rows.length > read.length, newest: rows.at(-1)?.key ?? seenUpTo };
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
  return out.sort((a, b) => byCodeUnit(b.updated_at ?? '', a.updated_at ?? ''));
}
