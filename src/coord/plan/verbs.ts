/**
 * One schema per plan verb (issue 13), shared by the CLI, the HTTP routes and the MCP tools: each
 * verb takes a plain object (flags, a JSON body, tool arguments), checks it, and calls the library.
 * The faces only map their input into these objects and print what comes back.
 */
import { InvalidInputError } from '../../errors.js';
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import { durationSeconds } from '../claims/scope.js';
import { booleanField, stringField } from '../verb-fields.js';
import {
  type ClaimOutcome,
  type Plan,
  type PlanOptions,
  type Task,
  addNeeds,
  addTasks,
  assignTask,
  claimTask,
  completeTask,
  dropTask,
  editTask,
  nextReady,
  normalizeIds,
  readPlan,
  reopenTask,
} from './store.js';

export { booleanField, stringField };

type Input = Record<string, unknown>;

/** Longest stall window a caller may ask for: 30 days. */
const MAX_STALL_S = 30 * 86400;

/**
 * The plan options with the caller's stall window, when the input names one (`stall`: 90s, 10m, 2h,
 * 1d or seconds; 1 s … 30 days): how long a claimed task's owner may go unseen before the task shows
 * as stalled and is offered to others. Without it, options.stallMs (the default 30 minutes).
 */
export function withStall(input: Input, options: PlanOptions): PlanOptions {
  const value = input.stall;
  if (value === undefined || value === null || value === '') return options;
  const seconds = typeof value === 'string' || typeof value === 'number' ? durationSeconds(value) : NaN;
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > MAX_STALL_S) {
    throw new InvalidInputError(`stall window '${String(value).slice(0, 20)}' is not a duration from 1s to 30d; use e.g. 10m, 2h or 1d`);
  }
  return { ...options, stallMs: Math.round(seconds * 1000) };
}

/** A list given as an array of strings or one comma-separated string. */
export function listField(input: Input, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  if (!items.every((v) => typeof v === 'string')) throw new InvalidInputError(`'${name}' must be a list of strings`);
  return (items as string[]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

export interface TasksQuery {
  /** Done and dropped tasks too. */
  all?: boolean;
  /** Only tasks owned by the caller. */
  mine?: boolean;
  /** Only tasks ready to start (ready, or stalled and so offered to others). */
  ready?: boolean;
  owner?: string;
}

/** `plan tasks`: open tasks by default, filtered (`stall` sets the stall window, as in every plan verb that shows statuses). */
export async function planTasksVerb(room: Room, handle: string, input: Input, options: PlanOptions = {}): Promise<Plan> {
  const query: TasksQuery = { all: booleanField(input, 'all'), mine: booleanField(input, 'mine'), ready: booleanField(input, 'ready'), owner: stringField(input, 'owner') };
  const plan = await readPlan(room, withStall(input, options));
  return { ...plan, tasks: filterTasks(plan.tasks, query, handle) };
}

export function filterTasks(tasks: Task[], query: TasksQuery, handle: string): Task[] {
  const me = validateHandle(handle);
  const owner = query.owner ? validateHandle(query.owner) : undefined;
  return tasks.filter(
    (t) =>
      (query.all || t.state === 'open') &&
      (!query.mine || t.owner === me) &&
      (!owner || t.owner === owner) &&
      (!query.ready || t.status === 'ready' || t.status === 'stalled' || (t.status === 'claimed' && t.owner === me && t.waiting.length + t.missing.length === 0)),
  );
}

/** `plan task add`: text, owner?, needs? */
export async function planAddVerb(room: Room, handle: string, input: Input, options: PlanOptions = {}): Promise<Task> {
  const [task] = await addTasks(room, handle, [{ text: stringField(input, 'text', true), owner: stringField(input, 'owner'), needs: listField(input, 'needs') }], withStall(input, options));
  return task;
}

/** `plan task claim`: id. */
export async function planClaimVerb(room: Room, handle: string, input: Input, options: PlanOptions = {}): Promise<ClaimOutcome> {
  return claimTask(room, handle, stringField(input, 'id', true), withStall(input, options));
}

/** `plan task done|undo|drop`: ids (one or more). */
export async function planCloseVerb(room: Room, handle: string, input: Input, to: 'done' | 'open' | 'dropped', options: PlanOptions = {}): Promise<Task[]> {
  const ids = normalizeIds([...listField(input, 'ids'), ...listField(input, 'id')]);
  const close = to === 'done' ? completeTask : to === 'dropped' ? dropTask : reopenTask;
  return close(room, handle, ids, withStall(input, options));
}

/** `plan task assign`: id, owner. */
export async function planAssignVerb(room: Room, handle: string, input: Input, options: PlanOptions = {}): Promise<Task> {
  return assignTask(room, handle, stringField(input, 'id', true), stringField(input, 'owner', true), withStall(input, options));
}

/** `plan task edit`: id, text. */
export async function planEditVerb(room: Room, handle: string, input: Input, options: PlanOptions = {}): Promise<Task> {
  return editTask(room, handle, stringField(input, 'id', true), stringField(input, 'text', true), withStall(input, options));
}

/** `plan task needs`: id, needs (one or more). */
export async function planNeedsVerb(room: Room, handle: string, input: Input, options: PlanOptions = {}): Promise<Task> {
  return addNeeds(room, handle, stringField(input, 'id', true), listField(input, 'needs'), withStall(input, options));
}

/** `plan ready`: claim? */
export async function planReadyVerb(room: Room, handle: string, input: Input, options: PlanOptions = {}): Promise<ClaimOutcome | undefined> {
  return nextReady(room, handle, { ...withStall(input, options), claim: booleanField(input, 'claim') });
}
