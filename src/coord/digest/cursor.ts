import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../fs-atomic.js';
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import { cursorPath } from '../../home-paths.js';

/**
 * What a handle's last digest showed: when, and a fingerprint of every item in it, so the next
 * `--since-cursor` digest shows only what is new or changed. It lives beside the message read
 * cursor, outside the room: reading a digest makes no commits and moves no inbox.
 */
export interface DigestCursor {
  at: string;
  seen: string[];
  /** The newest message file when the digest was made: a delta digest reads only newer ones. */
  messages_to?: string;
  /** The room's stamp (stamp.ts) taken before the digest read anything: unchanged means nothing new. */
  stamp?: string;
  /** When the digest changes with no file written (the first of my claims to expire), or null. */
  changes_at?: string | null;
}

export function digestCursorPath(room: Pick<Room, 'home' | 'name'>, handle: string): string {
  const valid = validateHandle(handle);
  return join(dirname(cursorPath(room.home, room.name, valid)), `${valid}.digest.json`);
}

/** The last digest's cursor; missing or unreadable is none (the next digest is then complete). */
export async function readDigestCursor(room: Pick<Room, 'home' | 'name'>, handle: string): Promise<DigestCursor | undefined> {
  let text: string;
  try {
    text = await readFile(digestCursorPath(room, handle), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<DigestCursor>;
    if (typeof parsed.at === 'string' && Array.isArray(parsed.seen) && parsed.seen.every((s) => typeof s === 'string')) {
      return {
        at: parsed.at,
        seen: parsed.seen,
        ...(typeof parsed.messages_to === 'string' ? { messages_to: parsed.messages_to } : {}),
        ...(typeof parsed.stamp === 'string' ? { stamp: parsed.stamp } : {}),
        ...(typeof parsed.changes_at === 'string' ? { changes_at: parsed.changes_at } : {}),
      };
    }
  } catch {
    // a damaged cursor only means the next digest is a full one
  }
  return undefined;
}

export async function writeDigestCursor(room: Room, handle: string, cursor: DigestCursor): Promise<void> {
  // No fsync: a cursor lost in a crash only makes the next digest a full one.
  await writeFileAtomic(digestCursorPath(room, handle), `${JSON.stringify(cursor)}\n`, { durable: false });
}
