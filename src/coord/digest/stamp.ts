/**
 * A cheap "may anything in my digest have changed?" check, so the per-prompt hook can answer
 * "nothing new" with a handful of `stat`s instead of loading and reading the room. Light on
 * purpose: node:fs and node:path only (the hook imports it before anything else).
 *
 * Every digest source changes a folder's or a file's mtime when it changes:
 * - a message is a new file in `messages/<day>/` (a new day is a new folder in `messages/`);
 * - the plan is `plan/tasks.md` (its mtime and size);
 * - a claim is granted, renewed (an atomic rewrite is a rename) or released in `claims/`;
 * - a negotiation writes `sessions/<id>/…` (every folder of the newest sessions is stat'ed);
 * - a decision changes `updated_at`, written through an atomic rename into its folder (every folder
 *   under `decisions/` is stat'ed);
 * - an agent's card (its last_seen, which decides whether its tasks show as stalled) is rewritten
 *   by rename into `agents/`.
 * What changes with no write (a claim of mine expiring) is covered by the cursor's `changes_at`,
 * and any stamp is trusted for at most STAMP_TRUST_MS, so nothing time-based waits longer than that.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The longest a stamp stands for "nothing changed" (ms): time-based states are at most this late. */
export const STAMP_TRUST_MS = 10 * 60 * 1000;
/** How many of the newest sessions are stat'ed folder by folder. */
const SESSIONS_LOOKED_AT = 3;

const mtimeOf = (path: string): string => {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return '-';
  }
};

/** The sorted sub-folder names of a folder (none when it is missing). */
function folders(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  } catch {
    return [];
  }
}

/** The mtimes of a folder and every folder under it (folders only: small for decisions and sessions). */
function folderTree(path: string, out: string[], depth = 0): void {
  out.push(mtimeOf(path));
  if (depth < 6) for (const name of folders(path)) folderTree(join(path, name), out, depth + 1);
}

/** The parts of a room's stamp, one per kind of digest source (a cached digest part names the ones it reads). */
export const STAMP_PARTS = ['messages', 'plan', 'claims', 'sessions', 'decisions', 'agents'] as const;
export type StampPart = (typeof STAMP_PARTS)[number];

/** Each part of the room's stamp as of now: an equal part means no source of that kind was written in between. */
export function roomStampParts(roomDir: string): Record<StampPart, string> {
  const messages = join(roomDir, 'messages');
  const messageParts = [mtimeOf(messages), ...folders(messages).slice(-2).map((day) => mtimeOf(join(messages, day)))];
  const sessions = join(roomDir, 'sessions');
  const sessionParts = [mtimeOf(sessions)];
  for (const id of folders(sessions).slice(-SESSIONS_LOOKED_AT)) folderTree(join(sessions, id), sessionParts);
  const decisionParts: string[] = [];
  folderTree(join(roomDir, 'decisions'), decisionParts);
  return {
    messages: messageParts.join('|'),
    plan: mtimeOf(join(roomDir, 'plan', 'tasks.md')),
    claims: mtimeOf(join(roomDir, 'claims')),
    sessions: sessionParts.join('|'),
    decisions: decisionParts.join('|'),
    // An agent's card (agents/<handle>.md, its last_seen) is rewritten by rename into agents/: a
    // heartbeat changes whether that agent's tasks show as stalled.
    agents: mtimeOf(join(roomDir, 'agents')),
  };
}

/** The room's stamp as of now: equal stamps mean no digest source was written in between. */
export function roomStamp(roomDir: string): string {
  return joinStamp(roomStampParts(roomDir), STAMP_PARTS);
}

/** The stamp of some parts only (what a cached digest part was made from). */
export function joinStamp(parts: Record<StampPart, string>, names: readonly StampPart[]): string {
  return names.map((name) => parts[name]).join('|');
}

/** A file's stamp (mtime and size), '-' when it is missing: for the local files a digest reads beside the room's. */
export const fileStamp = mtimeOf;

/** Whether a digest made with `stamp` still stands at `now`: same stamp, nothing due, not too old. */
export function stampStands(
  cursor: { at: string; stamp?: string; changes_at?: string | null },
  stamp: string,
  now: number,
): boolean {
  if (cursor.stamp === undefined || cursor.stamp !== stamp) return false;
  const at = Date.parse(cursor.at);
  if (!Number.isFinite(at) || now - at > STAMP_TRUST_MS || now < at) return false;
  return cursor.changes_at == null || now < Date.parse(cursor.changes_at);
}
