import { stat } from 'node:fs/promises';
import { previewLine } from '../../codec.js';
import { MemoryNotFoundError } from '../../errors.js';
import type { Memory, Room } from '../../room.js';

/** Folders a synthesis never reads: its own output and the agents' chatter and sessions. */
export const EXCLUDED_PREFIXES = ['synthesis/', 'agents/', 'messages/', 'sessions/'] as const;

/** The memory that points at the newest synthesis (it is no input to the next one). */
export const POINTER_KEY = 'context/synthesis';

/** A synthesis key: `synthesis/<UTC timestamp with ':' as '-'>`. */
const SYNTHESIS_KEY = /^synthesis\/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?Z$/;

export function isSynthesisKey(key: string): boolean {
  return SYNTHESIS_KEY.test(key);
}

/** The key a synthesis made at `at` (ISO) gets. */
export function synthesisKeyFor(at: string): string {
  return `synthesis/${at.replace(/:/g, '-')}`;
}

/**
 * Beside each synthesis, `synthesis/keys/<same stamp>` lists the input keys the room held when it
 * was made, so catchup can name what was deleted since (a deleted file leaves nothing else behind).
 */
export function synthesisKeyListFor(synthesisKey: string): string {
  return `synthesis/keys/${synthesisKey.slice('synthesis/'.length)}`;
}

/** The input keys the room holds now, sorted. */
export async function inputKeys(room: Room): Promise<string[]> {
  return (await room.keys()).filter(isSynthesisInput).sort();
}

/** True for the keys a synthesis reads. */
export function isSynthesisInput(key: string): boolean {
  return key !== POINTER_KEY && !EXCLUDED_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/** updated_at is stamped just before the file is written, and file times lag the clock a little. */
export const STAT_SLACK_MS = 2_000;

/**
 * The keys of a room's known files (key → the file time last seen, negative when unknown) that may
 * have changed after `since`: the same skip rule changedSince applies to a stat, so counting only
 * these gives the count a walk would.
 */
export function candidatesSince(files: ReadonlyMap<string, { mtimeMs: number }>, since: string | undefined): string[] {
  const after = since === undefined ? -Infinity : Date.parse(since);
  const keys: string[] = [];
  for (const [key, facts] of files) if (isSynthesisInput(key) && (facts.mtimeMs < 0 || facts.mtimeMs + STAT_SLACK_MS >= after)) keys.push(key);
  return keys;
}

/** One changed memory as synthesis and catchup see it. */
export interface ChangedMemory {
  key: string;
  /** Who wrote it last ('unknown' for a file written by hand without frontmatter). */
  by: string;
  /** When it last changed: the later of its updated_at and its file time (hand edits keep the old updated_at). */
  at: string;
  first_line: string;
  /** The value as text (JSON values as JSON). */
  text: string;
}

/**
 * The input memories that changed after `since` (ISO; undefined = all of them) and, when `until`
 * is given, not after it; newest first. The file time counts, so hand edits and synced-in files
 * are seen without a daemon or a counter.
 */
export async function changedSince(room: Room, since: string | undefined, until?: string, candidates?: Iterable<string>): Promise<ChangedMemory[]> {
  const changed: ChangedMemory[] = [];
  // `candidates`: the only keys that may have changed (the caller knows, e.g. the daemon's known
  // state); the rest of the room is neither listed nor stat'ed.
  const keys = candidates ? [...new Set(candidates)].sort() : await room.keys();
  for (const key of keys) {
    if (!isSynthesisInput(key)) continue;
    // A file untouched for well before `since` cannot have changed after it: skip reading it.
    const mtime = (await stat(room.pathOf(key)).catch(() => undefined))?.mtimeMs;
    if (since !== undefined && mtime !== undefined && mtime + STAT_SLACK_MS < Date.parse(since)) continue;
    const memory = await readOrSkip(room, key);
    if (!memory) continue;
    const at = await changedAt(memory);
    if (since !== undefined && !(at > since)) continue;
    if (until !== undefined && at > until) continue; // the next synthesis takes it
    changed.push({
      key,
      by: memory.updated_by ?? memory.created_by ?? 'unknown',
      at,
      first_line: previewLine(memory.value, memory.format, 120),
      text: memory.format === 'json' ? JSON.stringify(memory.value, null, 2) : String(memory.value),
    });
  }
  return changed.sort((a, b) => (a.at === b.at ? a.key.localeCompare(b.key) : a.at < b.at ? 1 : -1));
}

async function readOrSkip(room: Room, key: string): Promise<Memory | undefined> {
  try {
    return await room.get(key);
  } catch (err) {
    if (err instanceof MemoryNotFoundError) return undefined; // removed while we listed
    throw err;
  }
}

async function changedAt(memory: Memory): Promise<string> {
  const mtime = (await stat(memory.path).catch(() => undefined))?.mtime.toISOString();
  const updated = memory.updated_at ?? '';
  if (mtime === undefined) return updated;
  return mtime > updated ? mtime : updated;
}

/**
 * Keys the room held at a synthesis (its key list) and holds no more, sorted; null when that is not
 * known (a synthesis made before key lists, or a list edited by hand into something else).
 * `present`: the input keys now, when the caller has them.
 */
export async function deletedSince(room: Room, synthesisKey: string, present?: readonly string[]): Promise<string[] | null> {
  let listed: unknown;
  try {
    listed = (await room.get(synthesisKeyListFor(synthesisKey))).value;
  } catch (err) {
    if (err instanceof MemoryNotFoundError) return null;
    throw err;
  }
  if (!Array.isArray(listed)) return null;
  const now = new Set(present ?? (await inputKeys(room)));
  return listed.filter((key): key is string => typeof key === 'string' && !now.has(key)).sort();
}
