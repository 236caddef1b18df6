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
import { nodeCrypto } from '../../content-hash.js';
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
const BREAKS_LINE = /[\r\u2028\u2029]/;
const NOT_BLANK = /\S/g;
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
    const head = taskHead(text);
    if (head === undefined) {
      // Only a line starting (after blanks) with a bullet can look like a task: the rest skip the regex.
      if (mayBeTask(text) && LOOKS_LIKE_TASK.test(text)) warnings.push(`warning: ${where}:${i + 1}: looks like a task but is not one (write '- [ ] text'); kept as it is`);
      lines.push({ kind: 'text', raw });
      continue;
    }
    const task = parseTaskRest(text.slice(head.restAt), text[head.restAt - 3]);
    if (task.id === '' && ID_IN_TEXT.test(task.text)) {
      warnings.push(`warning: ${where}:${i + 1}: a task id in the middle of the text (ids go at the end of the line); the task gets a new id on the next write`);
    }
    lines.push({ kind: 'task', raw, task, indent: head.indent, bullet: text[head.indent.length], cr, dirty: false });
  }
  return lines;
}

/** Reads the tokens at the end of a task line back to front; the rest is the text, kept as written. */
function parseTaskRest(rest: string, mark: string): TaskLine {
  const task: TaskLine = { id: '', text: rest, state: mark === ' ' ? 'open' : mark === '-' ? 'dropped' : 'done', owner: null, needs: [], closedBy: null };
  let seen = 0; // a bit per token kind: each kind counts once, the rest is text
  let end = trimEnd(rest, rest.length);
  while (end > 0) {
    const start = rest.lastIndexOf(' ', end - 1) + 1;
    if (start === 0) break; // the first word is always text
    const token = rest.slice(start, end);
    const kind = tokenKind(token);
    if (kind === undefined || seen & KIND_BIT[kind]) break;
    seen |= KIND_BIT[kind];
    if (kind === 'id') task.id = token.slice(1, -1);
    else if (kind === 'owner') task.owner = token.slice(1).toLowerCase();
    else if (kind === 'needs') task.needs = NEEDS_TOKEN.exec(token)![1].split(',');
    else task.closedBy = CLOSED_TOKEN.exec(token)![2].toLowerCase();
    end = trimEnd(rest, start);
  }
  task.text = end === rest.length ? rest : rest.slice(0, end);
  return task;
}

const KIND_BIT = { id: 1, owner: 2, needs: 4, closed: 8 } as const;

/** The index after the last non-space character before `end`. */
function trimEnd(text: string, end: number): number {
  while (end > 0 && text.charCodeAt(end - 1) === 32) end--;
  return end;
}

/**
 * Where a task line's text starts, and its indent; undefined when the line is not a task. The same
 * rule as the pattern `^([ \t]*)([-*+]) \[([ xX-])\] (.*)$` with a text that is not blank, read by hand: a big
 * plan is thousands of these lines and a one-shot CLI process runs them before the JIT warms up.
 */
function taskHead(text: string): { indent: string; restAt: number } | undefined {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  const bullet = text.charCodeAt(i);
  if (bullet !== 45 && bullet !== 42 && bullet !== 43) return undefined;
  if (text.charCodeAt(i + 1) !== 32 || text.charCodeAt(i + 2) !== 91 || text.charCodeAt(i + 4) !== 93 || text.charCodeAt(i + 5) !== 32) return undefined;
  const mark = text[i + 3];
  if (mark !== ' ' && mark !== 'x' && mark !== 'X' && mark !== '-') return undefined;
  const restAt = i + 6;
  // `(.*)$` of the regex: the text holds no line terminator, and is not blank.
  if (restAt >= text.length || BREAKS_LINE.test(text)) return undefined;
  NOT_BLANK.lastIndex = restAt;
  if (!NOT_BLANK.test(text)) return undefined;
  return { indent: i === 0 ? '' : text.slice(0, i), restAt };
}

/** Whether the first non-blank character is a list bullet (`-`, `*`, `+`). */
function mayBeTask(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9) continue;
    return c === 45 || c === 42 || c === 43;
  }
  return false;
}

/** A token's kind, dispatched on its first character so a plain word costs one comparison. */
function tokenKind(token: string): 'id' | 'owner' | 'needs' | 'closed' | undefined {
  switch (token.charCodeAt(0)) {
    case 40: // (
      return ID_TOKEN.test(token) ? 'id' : undefined;
    case 64: // @
      return HANDLE_PATTERN.test(token.slice(1).toLowerCase()) ? 'owner' : undefined;
    case 110: // n
      return NEEDS_TOKEN.test(token) ? 'needs' : undefined;
    case 100: { // d
      const closed = CLOSED_TOKEN.exec(token);
      return closed && HANDLE_PATTERN.test(closed[2].toLowerCase()) ? 'closed' : undefined;
    }
    default:
      return undefined;
  }
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
  const digest = nodeCrypto().createHash('sha256').update(`${text}\0${creator}\0${at.toISOString()}\0${nodeCrypto().randomBytes(8).toString('hex')}`).digest();
  const chars = BigInt('0x' + digest.subarray(0, 16).toString('hex')).toString(36).padStart(16, '0');
  for (let length = 4; length <= 16; length++) {
    const id = `t-${chars.slice(0, length)}`;
    if (!taken.has(id)) return id;
  }
  return newTaskId(text, creator, at, taken); // 16 characters all taken: draw again
}
