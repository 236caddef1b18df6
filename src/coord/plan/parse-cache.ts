/**
 * A cache of the parsed plan body (issue 13's speed targets: `plan tasks` on 5,000 tasks). Parsing
 * 5,000 task lines is most of what a one-shot process does with the plan, before the JIT warms up;
 * reading back the parse is a JSON.parse of numbers and ids.
 *
 *   $MYCELIUM_HOME/cache/plan/<room>.json   {v, hash, where, warnings, tasks: [[line, indent, textLength, state, id, owner, needs, closedBy], ...]}
 *
 * It lives outside the room (never synced or committed) and can always be deleted. It is keyed by the
 * sha256 of the very body just read (and the file's path, which the warnings name), so it can never
 * serve another version of the plan: a hand edit, a sync or another writer changes the hash and the
 * body is parsed again. Lines that are not tasks are the body's own lines; only task lines are stored,
 * as offsets into them. Small plans skip it (parsing them costs less than the hash and the read).
 */
import { readFileSync } from 'node:fs';
import { contentHash } from '../../content-hash.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { planParseCachePath } from '../../home-paths.js';
import type { Room } from '../../room.js';
import { type PlanLine, type TaskLine, parsePlanBody } from './format.js';

const VERSION = 1;
/** Bodies shorter than this are parsed every time. */
const CACHED_FROM_CHARS = 32 * 1024;
const STATES: TaskLine['state'][] = ['open', 'done', 'dropped'];

type Entry = [line: number, indent: number, textLength: number, state: number, id: string, owner: string | null, needs: string, closedBy: string | null];
interface Stored {
  v: number;
  hash: string;
  where: string;
  warnings: string[];
  tasks: Entry[];
}

/** How a plan body is split into lines (parsePlanBody, or the same through this cache). */
export type BodyParser = (body: string, warnings: string[], where: string) => PlanLine[];

/**
 * A parser for one room's plan that reads and keeps the cache; `save` writes what it parsed anew
 * (best effort: a cache that cannot be written is only slower).
 */
export function cachedPlanParser(room: Room): { parse: BodyParser; save: () => Promise<void> } {
  const path = planParseCachePath(room.home, room.name);
  let fresh: Stored | undefined;
  const parse: BodyParser = (body, warnings, where) => {
    if (body.length < CACHED_FROM_CHARS) return parsePlanBody(body, warnings, where);
    const hash = contentHash(body);
    const hit = readStored(path, hash, where, body);
    if (hit) {
      warnings.push(...hit.warnings);
      return hit.lines;
    }
    const own: string[] = [];
    const lines = parsePlanBody(body, own, where);
    warnings.push(...own);
    fresh = { v: VERSION, hash, where, warnings: own, tasks: entries(lines) };
    return lines;
  };
  const save = async () => {
    if (!fresh) return;
    const stored = fresh;
    fresh = undefined;
    await writeFileAtomic(path, JSON.stringify(stored), { durable: false }).catch(() => {});
  };
  return { parse, save };
}

function entries(lines: PlanLine[]): Entry[] {
  const out: Entry[] = [];
  lines.forEach((line, index) => {
    if (line.kind !== 'task') return;
    const t = line.task;
    out.push([index, line.indent.length, t.text.length, STATES.indexOf(t.state), t.id, t.owner, t.needs.join(','), t.closedBy]);
  });
  return out;
}

/** The lines of `body` from the cache, or undefined when the cache is missing, of another body, or unreadable. */
function readStored(path: string, hash: string, where: string, body: string): { lines: PlanLine[]; warnings: string[] } | undefined {
  let stored: Stored;
  try {
    stored = JSON.parse(readFileSync(path, 'utf8')) as Stored;
  } catch {
    return undefined;
  }
  if (stored?.v !== VERSION || stored.hash !== hash || stored.where !== where || !Array.isArray(stored.tasks) || !Array.isArray(stored.warnings)) return undefined;
  const rows = body.split('\n');
  const lines: PlanLine[] = new Array(rows.length);
  let next = 0; // rows before each task line are text lines
  for (const entry of stored.tasks) {
    if (!Array.isArray(entry) || entry.length !== 8) return undefined;
    const [index, indent, textLength, state, id, owner, needs, closedBy] = entry;
    const raw = rows[index];
    if (raw === undefined || index < next || STATES[state] === undefined) return undefined;
    for (; next < index; next++) lines[next] = { kind: 'text', raw: rows[next] };
    const restAt = indent + 6;
    const task: TaskLine = { id, text: raw.slice(restAt, restAt + textLength), state: STATES[state], owner, needs: needs === '' ? [] : needs.split(','), closedBy };
    lines[index] = { kind: 'task', raw, task, indent: indent === 0 ? '' : raw.slice(0, indent), bullet: raw[indent], cr: raw.endsWith('\r'), dirty: false };
    next = index + 1;
  }
  for (; next < rows.length; next++) lines[next] = { kind: 'text', raw: rows[next] };
  return { lines, warnings: stored.warnings };
}
