/**
 * The messages index: a cache of every message's routing fields, rebuilt from the files, so that
 * `inbox` and `room messages` in a room with 100,000 messages read a few small files instead of
 * walking 100,000. It lives outside the room, so it is never synced or committed, and it can always
 * be deleted:
 *
 *   $MYCELIUM_HOME/cache/messages/<room>/index.json    one summary per day: folder mtime, count, and
 *                                                      who sent, who is addressed, whose messages are answered
 *   $MYCELIUM_HOME/cache/messages/<room>/<day>.json    that day's rows
 *
 * A query reads the summaries and only the days it needs (newest first for `--limit`, from the
 * cursor's day for an inbox, days that address a handle at all), so its cost follows what it
 * prints, not the size of the room.
 *
 * Freshness without a walk: messages are only ever added (and rarely deleted) under
 * messages/<day>/, and adding or removing a file changes its day folder's mtime. A day whose mtime
 * is what the cache saw, and which had settled (not changed for SETTLE_MS before the cache looked,
 * since file-system clocks are coarse), is trusted; any other day is listed again and only its new
 * files are read. Messages are immutable, so a hand edit of a file's routing fields is not seen
 * here (the text is always read from the file, and an edit is warned about there).
 */
import { lstat, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMemoryFile, readHeader } from '../../codec.js';
import { isIgnoredName } from '../../keys.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { readRegularFileSync } from '../../fs-confined.js';
import type { Room } from '../../room.js';
import { MESSAGES_PREFIX, type Message } from './format.js';
import { legacyMessageIndexPath, messageIndexDir } from '../../home-paths.js';

/** What the index knows of a message: enough to filter and route, not the text (nor `ref`). */
export type MessageRow = Omit<Message, 'text' | 'ref'>;

/** What the index keeps of one day without its rows: enough to know whether a query needs the day. */
export interface DaySummary {
  mtimeMs: number;
  scannedAt: number;
  count: number;
  /** Handles that sent a message this day. */
  senders: string[];
  /** Handles mentioned or in `to`. */
  recipients: string[];
  /** Handles whose messages are answered (`re`) this day, by the sender the answered id names. */
  repliesTo: string[];
  /** Whether a message has neither mentions nor `to`. */
  broadcasts: boolean;
  /** Whether a file's `from` or `created_at` differs from what its name says (then summaries by name are not exact). */
  irregular: boolean;
}

const VERSION = 2;
const SETTLE_MS = 2000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const NAME = /^(\d{2})(\d{2})(\d{2})\.(\d{3})Z-([a-z0-9_.-]+)-[a-z0-9]{4}$/;

/** One row as stored: [name, mentions, to, re, thread, kind, from?, created_at?] (from/created_at only when the name does not say them). */
type StoredRow = [string, string[], string[], string | null, string | null, string, string?, string?];
interface StoredIndex {
  version: number;
  room: string;
  days: Record<string, DaySummary>;
}
interface StoredDay {
  version: number;
  room: string;
  day: string;
  mtimeMs: number;
  scannedAt: number;
  rows: StoredRow[];
}

/** The cache folder of a room's messages index. */
export { messageIndexDir } from '../../home-paths.js';

/** The summaries file of a room's messages index. */
export function messageIndexPath(home: string, room: string): string {
  return join(messageIndexDir(home, room), 'index.json');
}

/** A room's messages index, brought up to date with the files when opened; days' rows load on demand. */
export class MessageIndex {
  private readonly loaded = new Map<string, MessageRow[]>();

  private constructor(
    private readonly room: Room,
    /** Days that hold messages, oldest first. */
    readonly days: readonly string[],
    private readonly summaries: Record<string, DaySummary>,
    /** Days listed again while opening: their rows are in hand already. */
    private readonly rescanned: Map<string, StoredRow[]>,
  ) {}

  /** Lists the day folders, re-lists any that changed since the cache saw them, and saves what changed. */
  static async open(room: Room, warnings: string[] = []): Promise<MessageIndex> {
    const dir = messageIndexDir(room.home, room.name);
    const cached = await loadIndex(messageIndexPath(room.home, room.name), room.name);
    const root = join(room.dir, MESSAGES_PREFIX);
    const listed = (await readdir(root).catch(() => [] as string[])).filter((d) => DAY.test(d)).sort();
    const summaries: Record<string, DaySummary> = {};
    const rescanned = new Map<string, StoredRow[]>();
    const days: string[] = [];
    let changed = Object.keys(cached.days).some((d) => !listed.includes(d));
    // The day folders' mtimes, all asked at once (one round trip's wait, not one per day).
    const scannedAt = Date.now(); // before the stats, so "settled when seen" errs on the safe side
    const infos = await Promise.all(listed.map((day) => stat(join(root, day)).catch(() => undefined)));
    for (const [i, day] of listed.entries()) {
      const info = infos[i];
      if (!info?.isDirectory()) continue;
      days.push(day);
      const old = cached.days[day];
      if (old && old.mtimeMs === info.mtimeMs && old.scannedAt - old.mtimeMs > SETTLE_MS) {
        summaries[day] = old;
        continue;
      }
      const oldRows = old ? await loadDay(dir, room.name, day, old) : undefined;
      const rows = await rescanDay(room, day, oldRows ?? [], warnings);
      const summary = summarize(rows, info.mtimeMs, scannedAt);
      summaries[day] = summary;
      rescanned.set(day, rows);
      // Save when something is new, or once the day has settled (from then on it is trusted unlisted).
      if (!oldRows || old!.mtimeMs !== info.mtimeMs || oldRows.length !== rows.length || scannedAt - info.mtimeMs > SETTLE_MS) {
        changed = true;
        const stored: StoredDay = { version: VERSION, room: room.name, day, mtimeMs: summary.mtimeMs, scannedAt, rows };
        await writeFileAtomic(join(dir, `${day}.json`), JSON.stringify(stored), { durable: false }).catch(() => {}); // a cache: failing to save (or a crash) only costs speed
      }
    }
    if (changed) await writeFileAtomic(messageIndexPath(room.home, room.name), JSON.stringify({ version: VERSION, room: room.name, days: summaries }), { durable: false }).catch(() => {});
    return new MessageIndex(room, days, summaries, rescanned);
  }

  summary(day: string): DaySummary | undefined {
    return this.summaries[day];
  }

  /** Whether any day's summaries are inexact (a file whose fields differ from its name): then skip no day by them. */
  get irregular(): boolean {
    return this.days.some((d) => this.summaries[d].irregular);
  }

  /** Messages in the room: the sum of the day counts. */
  get count(): number {
    return this.days.reduce((n, d) => n + this.summaries[d].count, 0);
  }

  /** One day's rows, oldest first (read from its cache file once; listed again if that file is missing or stale). */
  async rows(day: string): Promise<MessageRow[]> {
    const known = this.loaded.get(day);
    if (known) return known;
    const summary = this.summaries[day];
    if (!summary) return [];
    const dir = messageIndexDir(this.room.home, this.room.name);
    let stored = this.rescanned.get(day) ?? (await loadDay(dir, this.room.name, day, summary));
    if (!stored || stored.length !== summary.count) stored = await rescanDay(this.room, day, [], []);
    const rows = stored.map((r) => unpack(day, r));
    this.loaded.set(day, rows);
    return rows;
  }

  /** Every row, oldest first (reads every day). */
  async all(): Promise<MessageRow[]> {
    const out: MessageRow[] = [];
    for (const day of this.days) for (const row of await this.rows(day)) out.push(row);
    return out;
  }

  /** The row of one message id, reading only its day. */
  async find(id: string): Promise<MessageRow | undefined> {
    const day = id.slice(0, 10);
    if (!this.summaries[day]) return undefined;
    return (await this.rows(day)).find((r) => r.id === id);
  }
}

/** Every message row in the room, oldest first, brought up to date with the files. */
export async function messageRows(room: Room, warnings: string[] = []): Promise<MessageRow[]> {
  return (await MessageIndex.open(room, warnings)).all();
}

/** Deletes the cache and builds it again from the files; returns how many messages it holds. */
export async function rebuildMessageIndex(room: Room, warnings: string[] = []): Promise<number> {
  await rm(messageIndexDir(room.home, room.name), { recursive: true, force: true });
  await rm(legacyMessageIndexPath(room.home, room.name), { force: true }); // the one-file layout before this one
  return (await MessageIndex.open(room, warnings)).count;
}

async function rescanDay(room: Room, day: string, old: StoredRow[], warnings: string[]): Promise<StoredRow[]> {
  const dir = join(room.dir, MESSAGES_PREFIX, day);
  const names = await messageNames(room, day);
  const known = new Map(old.map((r) => [r[0], r]));
  const present = new Set(names);
  for (const name of known.keys()) {
    if (!present.has(name)) warnings.push(`warning: ${room.pathOf(`${MESSAGES_PREFIX}${day}/${name}`)}: message deleted after it was sent`);
  }
  const rows: StoredRow[] = [];
  for (const name of names) {
    const row = known.get(name) ?? readRow(day, dir, name);
    if (row) rows.push(row);
  }
  return rows;
}

/**
 * The message names in a day folder, sorted. Which files are messages: the room's memory-file rule
 * as a walk applies it (regular files, no links, no hidden or scratch names, folders on the way
 * real folders, not links), then the message name rule. NAME admits only valid key segments, so
 * the key check a walk makes per file is implied; listing one folder directly skips the walk's
 * per-entry path building, which a rebuild of 100,000 messages paid for 100,000 times.
 */
async function messageNames(room: Room, day: string): Promise<string[]> {
  const parent = join(room.dir, MESSAGES_PREFIX);
  const dir = join(parent, day);
  for (const folder of [parent, dir]) {
    const info = await lstat(folder).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (!info?.isDirectory()) return []; // missing, a link (never followed) or no folder
  }
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile() || isIgnoredName(entry.name) || !entry.name.endsWith('.md')) continue;
    const name = entry.name.slice(0, -3);
    if (NAME.test(name)) names.push(name);
  }
  return names.sort();
}

// Synchronous on purpose: a rebuild reads up to 100,000 small files, and a sync read costs a
// fraction of the CPU of a promise round trip through the thread pool (measured: 32 reads in flight
// through FileHandle cost 4x the CPU of reading one after another). The name passed NAME, so it is
// one plain segment and the path is built without the key rule's checks. Never through a link swapped
// in after the listing, never blocking on a FIFO (fs-confined's one rule for such reads).
function readRow(day: string, dir: string, name: string): StoredRow | undefined {
  const text = readRegularFileSync(`${dir}/${name}.md`);
  return text === undefined ? undefined : rowOf(day, name, text); // undefined: gone, or no regular file
}

function rowOf(day: string, name: string, text: string): StoredRow {
  const header = readHeader(parseMemoryFile(text).meta);
  const meta = header.extra;
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v !== '' ? [v] : []);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const implied = impliedFields(day, name);
  const from = str(meta.from) ?? header.created_by ?? implied.from;
  const created = header.created_at ?? implied.created_at;
  const row: StoredRow = [name, list(meta.mentions), list(meta.to), str(meta.re), str(meta.thread), str(meta.kind) ?? 'say'];
  if (from !== implied.from || created !== implied.created_at) row.push(from, created);
  return row;
}

function summarize(rows: StoredRow[], mtimeMs: number, scannedAt: number): DaySummary {
  const senders = new Set<string>();
  const recipients = new Set<string>();
  const repliesTo = new Set<string>();
  let broadcasts = false;
  let irregular = false;
  for (const row of rows) {
    senders.add(row[6] ?? NAME.exec(row[0])![5]);
    for (const h of row[1]) recipients.add(h);
    for (const h of row[2]) recipients.add(h);
    if (row[3] !== null) repliesTo.add(senderNamedBy(row[3]) ?? '');
    if (row[1].length === 0 && row[2].length === 0) broadcasts = true;
    if (row.length > 6) irregular = true;
  }
  return { mtimeMs, scannedAt, count: rows.length, senders: [...senders], recipients: [...recipients], repliesTo: [...repliesTo], broadcasts, irregular };
}

/** The handle a message id names as its sender (`<day>T<time>Z-<handle>-<rand>`). */
function senderNamedBy(id: string): string | undefined {
  return NAME.exec(id.slice(11))?.[5];
}

/** The sender and time a message's name says: <hhmmss.mmm>Z-<handle>-<rand>. */
function impliedFields(day: string, name: string): { from: string; created_at: string } {
  const match = NAME.exec(name)!;
  return { from: match[5], created_at: `${day}T${match[1]}:${match[2]}:${match[3]}.${match[4]}Z` };
}

function unpack(day: string, row: StoredRow): MessageRow {
  const name = row[0];
  // <hhmmss.mmm>Z-<handle>-<rand4>: the handle sits between the 12th character and the last 5.
  const from = row[6] ?? name.slice(12, -5);
  const created = row[7] ?? `${day}T${name.slice(0, 2)}:${name.slice(2, 4)}:${name.slice(4, 10)}Z`;
  return { id: `${day}T${name}`, key: `${MESSAGES_PREFIX}${day}/${name}`, from, mentions: row[1], to: row[2], re: row[3], thread: row[4], kind: row[5] as MessageRow['kind'], created_at: created };
}

async function loadIndex(path: string, room: string): Promise<StoredIndex> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<StoredIndex>;
    if (parsed && parsed.version === VERSION && parsed.room === room && parsed.days && typeof parsed.days === 'object') return parsed as StoredIndex;
  } catch {
    // missing or corrupt: rebuilt from the files
  }
  return { version: VERSION, room, days: {} };
}

/** A day's stored rows, if its cache file is the one the summary describes. */
async function loadDay(dir: string, room: string, day: string, summary: DaySummary): Promise<StoredRow[] | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, `${day}.json`), 'utf8')) as Partial<StoredDay>;
    if (parsed.version === VERSION && parsed.room === room && parsed.day === day && parsed.mtimeMs === summary.mtimeMs && Array.isArray(parsed.rows)) return parsed.rows;
  } catch {
    // missing or corrupt: listed again
  }
  return undefined;
}
