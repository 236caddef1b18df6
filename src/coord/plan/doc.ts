/**
 * The plan as one loaded document: the body's lines plus the frontmatter maps mycelium keeps
 * beside them (when each owner claimed, when each handle last wrote). Writers load it inside
 * `Room.update`, change it, and render it back; readers derive task statuses from it.
 */
import type { Memory } from '../../room.js';
import { isValidHandle } from '../handle.js';
import { type PlanLine, type TaskLine, TASK_ID, newTaskId, parsePlanBody } from './format.js';

export const PLAN_KEY = 'plan/tasks';
export const EMPTY_PLAN = '# Plan\n\n';

/**
 * A task a generator wrote (a negotiation's compile): `by` names the run (the session id), `covers`
 * what it settles (the issue keys). A later run covering any of them replaces the open tasks of earlier
 * runs, found by this field and never by their text.
 */
export interface TaskOrigin {
  by: string;
  covers: string[];
}

export interface PlanDoc {
  lines: PlanLine[];
  /** Each task by id (the first line with an id, when a person duplicated one). */
  byId: Map<string, TaskLine>;
  /** When the current owner of each task took it (frontmatter `claimed_at`). */
  claimedAt: Record<string, string>;
  /** When each handle last wrote the plan (frontmatter `seen`): one half of "has the owner been seen". */
  seen: Record<string, string>;
  /** Which generator run wrote each open task, and what it covers (frontmatter `origins`). */
  origins: Record<string, TaskOrigin>;
  version: number;
  warnings: string[];
}

/** Loads the plan from its memory (undefined: no plan yet, an empty one). */
export function loadPlanDoc(memory: Memory | undefined): PlanDoc {
  const warnings = [...(memory?.warnings ?? [])];
  const where = memory?.path ?? 'plan/tasks.md';
  const body = memory === undefined ? EMPTY_PLAN : typeof memory.value === 'string' ? memory.value : JSON.stringify(memory.value);
  const lines = parsePlanBody(body, warnings, where);
  const byId = new Map<string, TaskLine>();
  const noId: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (line.kind !== 'task') continue;
    const { id } = line.task;
    if (id === '') noId.push(`warning: ${where}:${index + 1}: a task with no id yet; it gets one on the next write`);
    else if (byId.has(id)) warnings.push(`warning: ${where}:${index + 1}: duplicate task id ${id}; this line gets a new id on the next write`);
    else byId.set(id, line.task);
  }
  warnings.push(...noId); // after the duplicates, as before
  return {
    lines,
    byId,
    claimedAt: stringMap(memory?.extra.claimed_at, (k) => TASK_ID.test(k)),
    seen: stringMap(memory?.extra.seen, isValidHandle),
    origins: originMap(memory?.extra.origins),
    version: memory?.version ?? 0,
    warnings,
  };
}

/** Gives every task line without an id (or with a duplicated one) a fresh id; returns how many. */
export function assignMissingIds(doc: PlanDoc, handle: string, now: Date): number {
  let assigned = 0;
  for (const line of doc.lines) {
    if (line.kind !== 'task') continue;
    const { task } = line;
    if (task.id !== '' && doc.byId.get(task.id) === task) continue;
    task.id = newTaskId(task.text, handle, now, doc.byId);
    doc.byId.set(task.id, task);
    line.dirty = true;
    assigned++;
  }
  return assigned;
}

/** Marks a task's line for re-rendering after a change. */
export function touch(doc: PlanDoc, task: TaskLine): void {
  for (const line of doc.lines) if (line.kind === 'task' && line.task === task) line.dirty = true;
}

/** Appends task lines at the end of the body (before its final newline). */
export function appendTasks(doc: PlanDoc, tasks: TaskLine[]): void {
  const fresh: PlanLine[] = tasks.map((task) => ({ kind: 'task', raw: '', task, indent: '', bullet: '-', cr: false, dirty: true }));
  let at = doc.lines.length;
  while (at > 0 && doc.lines[at - 1].kind === 'text' && doc.lines[at - 1].raw === '') at--;
  const before = doc.lines[at - 1];
  const trailing = doc.lines.slice(at);
  if (trailing.length === 0) trailing.push({ kind: 'text', raw: '' });
  // A blank line between a heading or paragraph and the first task; none between tasks.
  const gap: PlanLine[] = before && before.kind === 'text' && before.raw.trim() !== '' ? [{ kind: 'text', raw: '' }] : [];
  doc.lines = [...doc.lines.slice(0, at), ...gap, ...fresh, ...trailing];
  for (const task of tasks) doc.byId.set(task.id, task);
}

function stringMap(value: unknown, keyOk: (key: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) if (keyOk(key) && typeof v === 'string') out[key] = v;
  return out;
}

/** The `origins` map; an entry a person broke (not {by, covers}) is left out, so its task is kept as a plain one. */
function originMap(value: unknown): Record<string, TaskOrigin> {
  const out: Record<string, TaskOrigin> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [id, v] of Object.entries(value as Record<string, unknown>)) {
    if (!TASK_ID.test(id) || v === null || typeof v !== 'object') continue;
    const { by, covers } = v as { by?: unknown; covers?: unknown };
    if (typeof by === 'string' && Array.isArray(covers) && covers.every((c) => typeof c === 'string')) out[id] = { by, covers: [...covers] };
  }
  return out;
}
