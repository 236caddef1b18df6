/**
 * The messages index: a cache of every message's routing fields, rebuilt from the files, so that
 * `inbox` and `room messages` in a room with 100,000 messages read one file instead of walking
 * 100,000. It lives outside the room (`$MYCELIUM_HOME/cache/messages/<room>.json`), so it is never
 * synced or committed, and it can always be deleted.
 *
 * Freshness without a walk: messages are only ever added (and rarely deleted) under
 * messages/<day>/, and adding or removing a file changes its day folder's mtime. A day whose mtime
 * is what the cache saw, and which had settled (not changed for SETTLE_MS before the cache looked,
 * since file-system clocks are coarse), is trusted; any other day is listed again and only its new
 * files are read. Messages are immutable, so a hand edit of a file's routing fields is not seen
 * here (the text is always read from the file, and an edit is warned about there).
 */
import { readFileSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMemoryFile } from '../../codec.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import type { Room } from '../../room.js';
import { MESSAGES_PREFIX, type MessageKind, messageIdOf } from './format.js';

/** What the index knows of a message: enough to filter and route, not the text. */
export interface MessageRow {
  id: string;
  key: string;
  from: string;
  mentions: string[];
  to: string[];
  re: string | null;
  thread: string | null;
  kind: MessageKind;
  created_at: string;
}

const VERSION = 1;
const SETTLE_MS = 2000;

/** One day as stored: [name, mentions, to, re, thread, kind, from?, created_at?] (from/created_at only when the id does not say them). */
type StoredRow = [string, string[], string[], string | null, string | null, string, string?, string?];
interface StoredDay {
  mtimeMs: number;
  scannedAt: number;
  rows: StoredRow[];
}
interface StoredCache {
  version: number;
  room: string;
  days: Record<string, StoredDay>;
}

export function messageIndexPath(home: string, room: string): string {
  return join(home, 'cache', 'messages', `${room}.json`);
}

/** Every message row in the room, oldest first, brought up to date with the files (and the cache saved when it changed). */
export async function messageRows(room: Room, warnings: string[] = []): Promise<MessageRow[]> {
  const path = messageIndexPath(room.home, room.name);
  const cached = await loadCache(path, room.name);
  const root = join(room.dir, MESSAGES_PREFIX);
  const days = (await readdir(root).catch(() => [] as string[])).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d)).sort();
  const next: StoredCache = { version: VERSION, room: room.name, days: {} };
  let changed = Object.keys(cached.days).some((d) => !days.includes(d));
  for (const day of days) {
    const dir = join(root, day);
    const scannedAt = Date.now();
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    const old = cached.days[day];
    if (old && old.mtimeMs === info.mtimeMs && old.scannedAt - old.mtimeMs > SETTLE_MS) {
      next.days[day] = old;
      continue;
    }
    const scanned = await rescanDay(room, day, dir, info.mtimeMs, scannedAt, old, warnings);
    next.days[day] = scanned;
    // Save when something is new, or once the day has settled (from then on it is trusted unlisted).
    if (!old || old.mtimeMs !== scanned.mtimeMs || old.rows.length !== scanned.rows.length || scannedAt - info.mtimeMs > SETTLE_MS) changed = true;
  }
  if (changed) await writeFileAtomic(path, JSON.stringify(next)).catch(() => {}); // a cache: failing to save only costs speed
  const rows: MessageRow[] = [];
  for (const day of days) for (const stored of next.days[day]?.rows ?? []) rows.push(unpack(day, stored));
  return rows;
}

/** Deletes the cache and builds it again from the files; returns how many messages it holds. */
export async function rebuildMessageIndex(room: Room, warnings: string[] = []): Promise<number> {
  await writeFileAtomic(messageIndexPath(room.home, room.name), JSON.stringify({ version: VERSION, room: room.name, days: {} }));
  return (await messageRows(room, warnings)).length;
}

async function rescanDay(room: Room, day: string, dir: string, mtimeMs: number, scannedAt: number, old: StoredDay | undefined, warnings: string[]): Promise<StoredDay> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((n) => n.endsWith('.md') && !n.startsWith('.'))
    .map((n) => n.slice(0, -3))
    .filter((n) => messageIdOf(`${MESSAGES_PREFIX}${day}/${n}`) !== undefined)
    .sort();
  const known = new Map((old?.rows ?? []).map((r) => [r[0], r]));
  const present = new Set(names);
  for (const name of known.keys()) {
    if (!present.has(name)) warnings.push(`warning: ${room.pathOf(`${MESSAGES_PREFIX}${day}/${name}`)}: message deleted after it was sent`);
  }
  const fresh = names.filter((n) => !known.has(n));
  const read = new Map<string, StoredRow>();
  for (const name of fresh) {
    const row = readRow(day, dir, name);
    if (row) read.set(name, row);
  }
  const rows = names.map((n) => known.get(n) ?? read.get(n)).filter((r): r is StoredRow => r !== undefined);
  return { mtimeMs, scannedAt, rows };
}

// Synchronous on purpose: a rebuild reads up to 100,000 small files, and a sync read costs a
// fraction of the CPU of a promise round trip through the thread pool.
function readRow(day: string, dir: string, name: string): StoredRow | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, `${name}.md`), 'utf8');
  } catch {
    return undefined; // gone between the listing and the read
  }
  const meta = parseMemoryFile(text).meta;
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v !== '' ? [v] : []);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const implied = impliedFields(day, name);
  const from = str(meta.from) ?? str(meta.created_by) ?? implied.from;
  const created = str(meta.created_at) ?? implied.created_at;
  const row: StoredRow = [name, list(meta.mentions), list(meta.to), str(meta.re), str(meta.thread), str(meta.kind) ?? 'say'];
  if (from !== implied.from || created !== implied.created_at) row.push(from, created);
  return row;
}

/** The sender and time a message's name says: <hhmmss.mmm>Z-<handle>-<rand>. */
function impliedFields(day: string, name: string): { from: string; created_at: string } {
  const match = /^(\d{2})(\d{2})(\d{2})\.(\d{3})Z-(.+)-[a-z0-9]{4}$/.exec(name)!;
  return { from: match[5], created_at: `${day}T${match[1]}:${match[2]}:${match[3]}.${match[4]}Z` };
}

function unpack(day: string, row: StoredRow): MessageRow {
  const key = `${MESSAGES_PREFIX}${day}/${row[0]}`;
  const implied = impliedFields(day, row[0]);
  return {
    id: messageIdOf(key)!,
    key,
    from: row[6] ?? implied.from,
    mentions: row[1],
    to: row[2],
    re: row[3],
    thread: row[4],
    kind: row[5] as MessageKind,
    created_at: row[7] ?? implied.created_at,
  };
}

async function loadCache(path: string, room: string): Promise<StoredCache> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    const cache = parsed as Partial<StoredCache>;
    if (cache && cache.version === VERSION && cache.room === room && cache.days && typeof cache.days === 'object') return cache as StoredCache;
  } catch {
    // missing or corrupt: rebuilt from the files
  }
  return { version: VERSION, room, days: {} };
}
