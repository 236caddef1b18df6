/**
 * The shared plan's library (issue 13): read `plan/tasks.md`, and change it under the key's lock.
 * Every write is one `Room.update` (lock, re-read, change, atomic write), so concurrent writers never
 * lose a task. The faces (CLI, HTTP, MCP) and the other coordination areas call only these:
 *
 *   readPlan, addTasks, claimTask, completeTask, reopenTask, dropTask, assignTask, editTask,
 *   addNeeds, nextReady, writeRunTasks
 */
import { InvalidTaskError, MemoryNotFoundError, TaskClaimedError } from '../../errors.js';
import type { Memory, Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import { type PlanDoc, type TaskOrigin, PLAN_KEY, appendTasks, assignMissingIds, loadPlanDoc, touch } from './doc.js';
import { type TaskLine, type TaskState, TASK_ID, newTaskId, renderPlanBody, parsePlanBody } from './format.js';
import { assertNoCycle, blockersOf, taskOrThrow } from './graph.js';
import { DEFAULT_STALL_MS, hasStalled } from './stall.js';

export { PLAN_KEY, DEFAULT_STALL_MS, hasStalled };
export type { TaskOrigin };
/** Longest task text, in characters. */
export const MAX_TASK_TEXT = 1000;

export type TaskStatus = 'ready' | 'blocked' | 'claimed' | 'stalled' | 'done' | 'dropped';

/** A task as readers see it: what the line says plus what it means now. */
export interface Task {
  id: string;
  text: string;
  state: TaskState;
  status: TaskStatus;
  owner: string | null;
  needs: string[];
  /** Who marked it done or dropped. */
  closed_by: string | null;
  claimed_at: string | null;
  /** Needs that are still open. */
  waiting: string[];
  /** Needs that name no task (they block until someone fixes them). */
  missing: string[];
  /** 1-based line of the body. */
  line: number;
}

export interface Plan {
  room: string;
  version: number;
  tasks: Task[];
  warnings: string[];
}

export interface PlanOptions {
  /** The clock (tests). */
  now?: () => Date;
  /** The stall window in ms (default 30 minutes). */
  stallMs?: number;
}

export interface NewTask {
  text: string;
  owner?: string;
  needs?: string[];
}

/** Reads the plan with every task's status. A room with no plan yet has an empty one. */
export async function readPlan(room: Room, options: PlanOptions = {}): Promise<Plan> {
  const memory = await readPlanMemory(room);
  const doc = loadPlanDoc(memory);
  const lastSeen = await ownersLastSeen(room, doc);
  return { room: room.name, version: doc.version, tasks: describe(doc, lastSeen, options), warnings: doc.warnings };
}

/** Adds tasks at the end of the plan (one locked write for all of them); returns them with their ids. */
export async function addTasks(room: Room, handleInput: string, inputs: NewTask[], options: PlanOptions = {}): Promise<Task[]> {
  const handle = validateHandle(handleInput);
  const prepared = inputs.map((input) => ({ text: validateTaskText(input.text), owner: input.owner ? validateHandle(input.owner) : null, needs: normalizeIds(input.needs ?? []) }));
  if (prepared.length === 0) throw new InvalidTaskError('no task to add; give the task text');
  const added: TaskLine[] = [];
  const doc = await mutate(room, handle, options, (d, now) => {
    for (const p of prepared) for (const need of p.needs) taskOrThrow(need, d.byId, room.name);
    added.push(...appendNew(d, handle, now, prepared));
  });
  return pick(room, doc, added, options);
}

function appendNew(d: PlanDoc, handle: string, now: Date, prepared: { text: string; owner: string | null; needs: string[] }[]): TaskLine[] {
  const lines = prepared.map((p) => {
    const task: TaskLine = { id: newTaskId(p.text, handle, now, d.byId), text: p.text, state: 'open', owner: p.owner, needs: p.needs, closedBy: null };
    d.byId.set(task.id, task);
    if (p.owner) d.claimedAt[task.id] = now.toISOString();
    return task;
  });
  appendTasks(d, lines);
  return lines;
}

/** A task one generator run writes, and the keys it covers (a negotiation: the issues it settles). */
export interface RunTask {
  text: string;
  owner?: string;
  covers: string[];
}

/**
 * Writes one generator run's tasks (a negotiation's compile, `run` = its session id) in one locked
 * write, each marked in the frontmatter `origins` map. Every open task an earlier run wrote whose
 * `covers` meet this run's is dropped (found by that mark, never by its text), unless this run
 * wants the same text, which stays and is marked as this run's. A text already open or done is not
 * added again, so running the same run twice adds nothing; done tasks never change.
 */
export async function writeRunTasks(room: Room, handleInput: string, run: string, inputs: RunTask[], options: PlanOptions = {}): Promise<{ added: Task[]; dropped: Task[] }> {
  const handle = validateHandle(handleInput);
  const prepared = inputs.map((input) => ({ text: validateTaskText(input.text), owner: input.owner ? validateHandle(input.owner) : null, needs: [] as string[], covers: [...input.covers] }));
  const covered = new Set(prepared.flatMap((p) => p.covers));
  const wanted = new Set(prepared.map((p) => p.text));
  const added: TaskLine[] = [];
  const dropped: TaskLine[] = [];
  const doc = await mutate(room, handle, options, (d, now) => {
    for (const task of d.byId.values()) {
      const origin = d.origins[task.id];
      if (task.state !== 'open' || !origin || origin.by === run || wanted.has(task.text) || !origin.covers.some((c) => covered.has(c))) continue;
      task.state = 'dropped';
      task.closedBy = handle;
      touch(d, task);
      dropped.push(task);
    }
    const kept = new Map<string, TaskLine>();
    for (const task of d.byId.values()) if (task.state !== 'dropped' && !kept.has(task.text)) kept.set(task.text, task);
    const fresh = prepared.filter((p) => !kept.has(p.text));
    const lines = appendNew(d, handle, now, fresh);
    added.push(...lines);
    for (const p of prepared) {
      const task = kept.get(p.text) ?? lines.find((l) => l.text === p.text);
      if (task?.state === 'open') d.origins[task.id] = { by: run, covers: p.covers };
    }
  });
  return { added: await pick(room, doc, added, options), dropped: await pick(room, doc, dropped, options) };
}

/** What a claim did: the task, and the stalled owner it was taken from, if any. */
export interface ClaimOutcome {
  task: Task;
  took_over: string | null;
}

/**
 * Claims a task: a compare-and-set under the lock. It succeeds when the task is open and unowned,
 * already mine (idempotent), or held by an owner stalled past the window; else TaskClaimedError
 * naming the holder.
 */
export async function claimTask(room: Room, handleInput: string, id: string, options: PlanOptions = {}): Promise<ClaimOutcome> {
  const handle = validateHandle(handleInput);
  let claimed: TaskLine | undefined;
  let tookOver: string | null = null;
  const doc = await mutate(room, handle, options, async (d, now) => {
    const task = taskOrThrow(id, d.byId, room.name);
    // When the owners were last seen, read under the lock from the document being changed (one parse).
    tookOver = takeTask(d, task, handle, now, await ownersLastSeen(room, d), options);
    claimed = task;
  });
  return { task: (await pick(room, doc, [claimed!], options))[0], took_over: tookOver };
}

/** Marks tasks done (`done:@handle`); all ids are checked before anything is written. */
export async function completeTask(room: Room, handle: string, ids: string[], options: PlanOptions = {}): Promise<Task[]> {
  return closeTasks(room, handle, ids, 'done', options);
}

/** Marks tasks dropped (cancelled): they no longer block anything. */
export async function dropTask(room: Room, handle: string, ids: string[], options: PlanOptions = {}): Promise<Task[]> {
  return closeTasks(room, handle, ids, 'dropped', options);
}

/** Opens a done or dropped task again (`plan task undo`). */
export async function reopenTask(room: Room, handle: string, ids: string[], options: PlanOptions = {}): Promise<Task[]> {
  return closeTasks(room, handle, ids, 'open', options);
}

/** Gives a task to a handle (anyone may assign; the time counts as its claim time). */
export async function assignTask(room: Room, handleInput: string, id: string, ownerInput: string, options: PlanOptions = {}): Promise<Task> {
  const owner = validateHandle(ownerInput);
  return changeOne(room, handleInput, id, options, (d, task, now) => {
    task.owner = owner;
    d.claimedAt[task.id] = now.toISOString();
  });
}

/** Replaces a task's text (its id, owner and needs stay). */
export async function editTask(room: Room, handleInput: string, id: string, textInput: string, options: PlanOptions = {}): Promise<Task> {
  const text = validateTaskText(textInput);
  return changeOne(room, handleInput, id, options, (_d, task) => {
    task.text = text;
  });
}

/** Adds dependencies to a task; unknown ids and cycles are refused (the cycle is named). */
export async function addNeeds(room: Room, handleInput: string, id: string, depsInput: string[], options: PlanOptions = {}): Promise<Task> {
  const deps = normalizeIds(depsInput);
  if (deps.length === 0) throw new InvalidTaskError('give at least one task id the task needs');
  return changeOne(room, handleInput, id, options, (d, task) => {
    for (const dep of deps) if (dep !== task.id) taskOrThrow(dep, d.byId, room.name);
    assertNoCycle(task.id, deps, d.byId);
    task.needs = [...new Set([...task.needs, ...deps])];
  });
}

/**
 * The next task for a handle: ready ones assigned to it first, then unowned ones, then ones whose
 * owner stalled; in file order. With `claim`, it is claimed in the same locked step. Undefined when
 * nothing is ready.
 */
export async function nextReady(room: Room, handleInput: string, options: PlanOptions & { claim?: boolean } = {}): Promise<ClaimOutcome | undefined> {
  const handle = validateHandle(handleInput);
  if (!options.claim) {
    const doc = loadPlanDoc(await readPlanMemory(room));
    const seen = await ownersLastSeen(room, doc);
    const task = chooseNext(doc, handle, seen, options);
    if (!task) return undefined;
    return { task: describe(doc, seen, options, new Set([task]))[0], took_over: null };
  }
  let chosen: TaskLine | undefined;
  let tookOver: string | null = null;
  const doc = await mutate(room, handle, options, async (d, now) => {
    const seenBefore = await ownersLastSeen(room, d);
    chosen = chooseNext(d, handle, seenBefore, options);
    if (chosen) tookOver = takeTask(d, chosen, handle, now, seenBefore, options);
    return chosen !== undefined;
  });
  if (!chosen) return undefined;
  return { task: (await pick(room, doc, [chosen], options))[0], took_over: tookOver };
}

// ---------------------------------------------------------------------------------------------

function chooseNext(doc: PlanDoc, handle: string, seen: Map<string, number>, options: PlanOptions): TaskLine | undefined {
  const ready = [...doc.byId.values()].filter((t) => t.state === 'open' && blockersOf(t, doc.byId).waiting.length === 0 && blockersOf(t, doc.byId).missing.length === 0);
  return (
    ready.find((t) => t.owner === handle) ??
    ready.find((t) => t.owner === null) ??
    ready.find((t) => t.owner !== null && isStalled(doc, t, seen, options))
  );
}

/** The compare-and-set of a claim, inside the lock; returns the stalled owner taken over from. */
function takeTask(doc: PlanDoc, task: TaskLine, handle: string, now: Date, seen: Map<string, number>, options: PlanOptions): string | null {
  if (task.state !== 'open') {
    const by = task.closedBy ? ` by @${task.closedBy}` : '';
    throw new TaskClaimedError(`task ${task.id} is ${task.state}${by}; reopen it first with \`mycelium plan task undo ${task.id}\``);
  }
  if (task.owner === handle) return null;
  let tookOver: string | null = null;
  if (task.owner !== null) {
    if (!isStalled(doc, task, seen, options)) {
      throw new TaskClaimedError(`task ${task.id} is claimed by @${task.owner}; pick another with \`mycelium plan ready\` or ask @${task.owner}`);
    }
    tookOver = task.owner;
  }
  task.owner = handle;
  doc.claimedAt[task.id] = now.toISOString();
  touch(doc, task);
  return tookOver;
}

async function closeTasks(room: Room, handleInput: string, ids: string[], state: TaskState, options: PlanOptions): Promise<Task[]> {
  const handle = validateHandle(handleInput);
  if (ids.length === 0) throw new InvalidTaskError('give at least one task id');
  const changed: TaskLine[] = [];
  const doc = await mutate(room, handle, options, (d) => {
    const tasks = ids.map((id) => taskOrThrow(id, d.byId, room.name));
    for (const task of tasks) {
      if (task.state === state) continue;
      task.state = state;
      task.closedBy = state === 'open' ? null : handle;
      touch(d, task);
    }
    changed.push(...tasks);
  });
  return pick(room, doc, changed, options);
}

async function changeOne(
  room: Room,
  handleInput: string,
  id: string,
  options: PlanOptions,
  change: (doc: PlanDoc, task: TaskLine, now: Date) => void,
): Promise<Task> {
  const handle = validateHandle(handleInput);
  let target: TaskLine | undefined;
  const doc = await mutate(room, handle, options, (d, now) => {
    target = taskOrThrow(id, d.byId, room.name);
    change(d, target, now);
    touch(d, target);
  });
  return (await pick(room, doc, [target!], options))[0];
}

/**
 * The one write path: lock, re-read, give hand-added lines their ids, apply `change`, write. A change
 * that returns false writes nothing (unless ids were missing). Returns the document as written.
 */
async function mutate(
  room: Room,
  handle: string,
  options: PlanOptions,
  change: (doc: PlanDoc, now: Date) => boolean | void | Promise<boolean | void>,
): Promise<PlanDoc> {
  const now = (options.now ?? (() => new Date()))();
  let written: PlanDoc | undefined;
  await room.update(PLAN_KEY, handle, async (current) => {
    const doc = loadPlanDoc(current);
    const assigned = assignMissingIds(doc, handle, now);
    const wanted = (await change(doc, now)) !== false;
    written = doc;
    if (!wanted && assigned === 0) return undefined;
    for (const id of Object.keys(doc.claimedAt)) if (doc.byId.get(id)?.owner == null) delete doc.claimedAt[id];
    // Only open tasks can be replaced by a later run: the marks of the rest go.
    for (const id of Object.keys(doc.origins)) if (doc.byId.get(id)?.state !== 'open') delete doc.origins[id];
    doc.seen[handle] = now.toISOString();
    const origins = Object.keys(doc.origins).length > 0 ? doc.origins : undefined;
    return { value: renderPlanBody(doc.lines), format: 'text', fields: { claimed_at: doc.claimedAt, seen: doc.seen, origins } };
  });
  return written!;
}

async function readPlanMemory(room: Room): Promise<Memory | undefined> {
  try {
    return await room.get(PLAN_KEY);
  } catch (err) {
    if (err instanceof MemoryNotFoundError) return undefined;
    throw err;
  }
}

/** When each owner was last seen: the latest of its agent card's last_seen and its last plan write. */
async function ownersLastSeen(room: Room, doc: PlanDoc): Promise<Map<string, number>> {
  const owners = new Set<string>();
  for (const task of doc.byId.values()) if (task.owner && task.state === 'open') owners.add(task.owner);
  const out = new Map<string, number>();
  if (owners.size === 0) return out;
  const { readAgent } = await import('../agents.js'); // a plan with no owned open task reads no cards
  // The cards are small independent files: read them at once rather than one after the other.
  const cards = await Promise.all([...owners].map(async (owner) => [owner, await readAgent(room, owner).catch(() => undefined)] as const));
  for (const [owner, card] of cards) {
    const times = [card?.last_seen, doc.seen[owner]].map((t) => (t ? Date.parse(t) : NaN)).filter(Number.isFinite);
    out.set(owner, times.length > 0 ? Math.max(...times) : -Infinity);
  }
  return out;
}

function isStalled(doc: PlanDoc, task: TaskLine, seen: Map<string, number>, options: PlanOptions): boolean {
  if (task.owner === null || task.state !== 'open') return false;
  const claimed = doc.claimedAt[task.id] ? Date.parse(doc.claimedAt[task.id]) : NaN;
  const last = Math.max(seen.get(task.owner) ?? -Infinity, Number.isFinite(claimed) ? claimed : -Infinity);
  const now = (options.now ?? (() => new Date()))().getTime();
  return hasStalled(last, now, options.stallMs);
}

/** Every task line as readers see it, or only the lines of `only` (a write shows just what it changed). */
function describe(doc: PlanDoc, seen: Map<string, number>, options: PlanOptions, only?: Set<TaskLine>): Task[] {
  const out: Task[] = [];
  doc.lines.forEach((line, index) => {
    if (line.kind !== 'task') return;
    const t = line.task;
    if (only && !only.has(t)) return;
    const { waiting, missing } = blockersOf(t, doc.byId);
    let status: TaskStatus;
    if (t.state !== 'open') status = t.state;
    else if (t.owner) status = isStalled(doc, t, seen, options) ? 'stalled' : 'claimed';
    else status = waiting.length + missing.length > 0 ? 'blocked' : 'ready';
    const primary = t.id !== '' && doc.byId.get(t.id) === t;
    out.push({
      id: primary ? t.id : '',
      text: t.text,
      state: t.state,
      status,
      owner: t.owner,
      needs: t.needs,
      closed_by: t.closedBy,
      claimed_at: (t.owner && doc.claimedAt[t.id]) || null,
      waiting,
      missing,
      line: index + 1,
    });
  });
  return out;
}

async function pick(room: Room, doc: PlanDoc, tasks: TaskLine[], options: PlanOptions): Promise<Task[]> {
  const seen = await ownersLastSeen(room, doc);
  const shown = new Map(describe(doc, seen, options, new Set(tasks)).map((d) => [d.id, d]));
  return tasks.map((t) => shown.get(t.id)!);
}

/** A task text: one line, not empty, not too long, and not ending in something that reads as a token. */
export function validateTaskText(input: unknown): string {
  const text = String(input ?? '').trim();
  if (text === '') throw new InvalidTaskError('the task text is empty; say what is to be done');
  if (/[\r\n]/.test(text)) throw new InvalidTaskError('a task is one line; put details in a note under it or in a memory');
  if (text.length > MAX_TASK_TEXT) throw new InvalidTaskError(`the task text is ${text.length} characters, the limit is ${MAX_TASK_TEXT}`);
  const [line] = parsePlanBody(`- [ ] ${text}`);
  if (line.kind !== 'task' || line.task.text !== text) {
    throw new InvalidTaskError(`the text '${text.slice(-40)}' ends in what reads as a task token (@handle, (t-id), needs:, done:); reword the end or use --owner/--needs`);
  }
  return text;
}

/** `t-abc,t-def` lists (commas or spaces) to ids, lower-cased, duplicates dropped. */
export function normalizeIds(input: string[]): string[] {
  const ids = input.flatMap((s) => String(s).split(/[\s,]+/)).map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const id of ids) {
    if (!TASK_ID.test(id)) throw new InvalidTaskError(`'${id}' is not a task id (ids look like t-7k2f); list them with \`mycelium plan tasks --all\``);
  }
  return [...new Set(ids)];
}
