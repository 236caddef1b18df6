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
 *   under `decisions/` is stat'ed).
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

/** The room's stamp as of now: equal stamps mean no digest source was written in between. */
export function roomStamp(roomDir: string): string {
  const parts: string[] = [];
  const messages = join(roomDir, 'messages');
  parts.push(mtimeOf(messages));
  const days = folders(messages);
  for (const day of days.slice(-2)) parts.push(mtimeOf(join(messages, day)));
  parts.push(mtimeOf(join(roomDir, 'plan', 'tasks.md')));
  parts.push(mtimeOf(join(roomDir, 'claims')));
  const sessions = join(roomDir, 'sessions');
  parts.push(mtimeOf(sessions));
  for (const id of folders(sessions).slice(-SESSIONS_LOOKED_AT)) folderTree(join(sessions, id), parts);
  folderTree(join(roomDir, 'decisions'), parts);
  return parts.join('|');
}

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
