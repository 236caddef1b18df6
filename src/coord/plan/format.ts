/**
 * The plan file's body (issue 13): a markdown checklist a person can edit by hand. Each task is one
 * line whose machine tokens sit at the end:
 *
 *   - [ ] Write the migration @alice (t-7k2f) needs:t-3a9c,t-0b1d
 *   - [x] Pick the database (t-3a9c) done:@bob
 *   - [-] Try SQLite first (t-0b1d) dropped:@bob
 *
 * `[ ]` open, `[x]` done, `[-]` dropped. Tokens, in any order after the text: `@owner`, `(t-id)`,
 * `needs:id,id`, `done:@handle` / `dropped:@handle`. Every other line (headings, prose, blank lines,
 * notes under a task, lines that look broken) is kept exactly where it is, byte for byte. A task line
 * is re-rendered only when a write changes it (or gives it its missing id); its text never changes
 * unless an edit asks for it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { HANDLE_PATTERN } from '../handle.js';

export type TaskState = 'open' | 'done' | 'dropped';

/** One task as the file says it. */
export interface TaskLine {
  /** `t-` + 4 or more base36 characters; '' until the next write gives a hand-added line one. */
  id: string;
  text: string;
  state: TaskState;
  owner: string | null;
  needs: string[];
  /** Who marked it done or dropped. */
  closedBy: string | null;
}

/** A line of the body: a task (re-rendered when `dirty`) or any other line, kept as it is. */
export type PlanLine = { kind: 'text'; raw: string } | { kind: 'task'; raw: string; task: TaskLine; indent: string; bullet: string; cr: boolean; dirty: boolean };

export const TASK_ID = /^t-[0-9a-z]{4,16}$/;
const TASK_LINE = /^([ \t]*)([-*+]) \[([ xX-])\] (.*)$/;
const LOOKS_LIKE_TASK = /^[ \t]*[-*+] \[[^\]]*\]/;
const ID_TOKEN = /^\((t-[0-9a-z]{4,16})\)$/;
const NEEDS_TOKEN = /^needs:(t-[0-9a-z]{4,16}(?:,t-[0-9a-z]{4,16})*),?$/;
const CLOSED_TOKEN = /^(done|dropped):@(\S+)$/;
const ID_IN_TEXT = /\(t-[0-9a-z]{4,16}\)/;

/** Splits a body into lines; the warnings name each line a person may want to fix (nothing is dropped). */
export function parsePlanBody(body: string, warnings: string[] = [], where = 'plan/tasks.md'): PlanLine[] {
  const lines: PlanLine[] = [];
  const rows = body.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const raw = rows[i];
    const cr = raw.endsWith('\r');
    const text = cr ? raw.slice(0, -1) : raw;
    const match = TASK_LINE.exec(text);
    if (!match || match[4].trim() === '') {
      if (LOOKS_LIKE_TASK.test(text)) warnings.push(`warning: ${where}:${i + 1}: looks like a task but is not one (write '- [ ] text'); kept as it is`);
      lines.push({ kind: 'text', raw });
      continue;
    }
    const task = parseTaskRest(match[4], match[3]);
    if (task.id === '' && ID_IN_TEXT.test(task.text)) {
      warnings.push(`warning: ${where}:${i + 1}: a task id in the middle of the text (ids go at the end of the line); the task gets a new id on the next write`);
    }
    lines.push({ kind: 'task', raw, task, indent: match[1], bullet: match[2], cr, dirty: false });
  }
  return lines;
}

/** Reads the tokens at the end of a task line back to front; the rest is the text, kept as written. */
function parseTaskRest(rest: string, mark: string): TaskLine {
  const task: TaskLine = { id: '', text: rest, state: mark === ' ' ? 'open' : mark === '-' ? 'dropped' : 'done', owner: null, needs: [], closedBy: null };
  const seen = new Set<string>();
  let end = rest.length;
  while (end > 0) {
    while (end > 0 && rest[end - 1] === ' ') end--;
    const start = rest.lastIndexOf(' ', end - 1) + 1;
    const token = rest.slice(start, end);
    const kind = tokenKind(token);
    if (!kind || seen.has(kind) || start === 0) break; // the first word is always text
    seen.add(kind);
    if (kind === 'id') task.id = ID_TOKEN.exec(token)![1];
    else if (kind === 'owner') task.owner = token.slice(1).toLowerCase();
    else if (kind === 'needs') task.needs = NEEDS_TOKEN.exec(token)![1].split(',');
    else task.closedBy = CLOSED_TOKEN.exec(token)![2].toLowerCase();
    end = start;
  }
  task.text = rest.slice(0, end).replace(/ +$/, '');
  return task;
}

function tokenKind(token: string): 'id' | 'owner' | 'needs' | 'closed' | undefined {
  if (ID_TOKEN.test(token)) return 'id';
  if (token.startsWith('@') && HANDLE_PATTERN.test(token.slice(1).toLowerCase())) return 'owner';
  if (NEEDS_TOKEN.test(token)) return 'needs';
  if (CLOSED_TOKEN.test(token) && HANDLE_PATTERN.test(CLOSED_TOKEN.exec(token)![2].toLowerCase())) return 'closed';
  return undefined;
}

/** The line a task is written as (tokens in their canonical order). */
export function renderTaskLine(task: TaskLine, indent = '', bullet = '-'): string {
  const mark = task.state === 'open' ? ' ' : task.state === 'done' ? 'x' : '-';
  let line = `${indent}${bullet} [${mark}] ${task.text}`;
  if (task.owner) line += ` @${task.owner}`;
  if (task.id) line += ` (${task.id})`;
  if (task.needs.length > 0) line += ` needs:${task.needs.join(',')}`;
  if (task.state !== 'open' && task.closedBy) line += ` ${task.state}:@${task.closedBy}`;
  return line;
}

/** The body again: untouched lines byte for byte, changed tasks re-rendered. */
export function renderPlanBody(lines: PlanLine[]): string {
  return lines
    .map((line) => (line.kind === 'task' && line.dirty ? renderTaskLine(line.task, line.indent, line.bullet) + (line.cr ? '\r' : '') : line.raw))
    .join('\n');
}

/**
 * A new task id: `t-` + base36 of a hash of (text, creator, time, nonce), 4 characters, one longer
 * for as long as it collides with an id in `taken` (random ids, so plans edited on two machines or
 * branches do not collide the way sequential numbers would).
 */
export function newTaskId(text: string, creator: string, at: Date, taken: { has(id: string): boolean }): string {
  const digest = createHash('sha256').update(`${text}\0${creator}\0${at.toISOString()}\0${randomBytes(8).toString('hex')}`).digest();
  const chars = BigInt('0x' + digest.subarray(0, 16).toString('hex')).toString(36).padStart(16, '0');
  for (let length = 4; length <= 16; length++) {
    const id = `t-${chars.slice(0, length)}`;
    if (!taken.has(id)) return id;
  }
  return newTaskId(text, creator, at, taken); // 16 characters all taken: draw again
}
