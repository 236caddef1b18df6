import type { ClaimOutcome, Task } from '../../src/coord/plan/store.js';
import {
  planAddVerb,
  planAssignVerb,
  planClaimVerb,
  planCloseVerb,
  planEditVerb,
  planNeedsVerb,
  planReadyVerb,
  planTasksVerb,
} from '../../src/coord/plan/verbs.js';
import { openRoom } from '../context.js';
import { printJson, printLine, table, warn, type CommonOptions } from '../output.js';
import { writeOut } from '../stdio.js';

type StallFlag = { stall?: string };

/** The stall window a command asks for: --stall, else MYCELIUM_PLAN_STALL, else the library's 30 minutes. */
function stall(options: StallFlag): { stall?: string } {
  const value = options.stall ?? process.env.MYCELIUM_PLAN_STALL;
  return value ? { stall: value } : {};
}

/** Why a task cannot start, in words (`plan tasks` says it for every blocked task). */
function why(t: Task): string {
  const parts: string[] = [];
  if (t.waiting.length) parts.push(`waits for ${t.waiting.join(', ')}`);
  if (t.missing.length) parts.push(`needs ${t.missing.join(', ')}, which ${t.missing.length === 1 ? 'is no task' : 'are no tasks'}`);
  return parts.length ? `  (${parts.join('; ')})` : '';
}

function rows(tasks: Task[]): string {
  return table(tasks.map((t) => [t.id || '(no id)', t.status, t.owner ? `@${t.owner}` : '-', `${t.text}${why(t)}`]));
}

function printTasks(tasks: Task[], json: boolean | undefined): void {
  if (json) return printJson(tasks);
  if (tasks.length > 0) printLine(rows(tasks));
}

function printOutcome(outcome: ClaimOutcome, json: boolean | undefined): void {
  if (json) return printJson(outcome);
  if (outcome.took_over) warn([`note: took ${outcome.task.id} over from @${outcome.took_over}, who has not been seen for the stall window`]);
  printLine(rows([outcome.task]));
}

export async function planTasks(options: CommonOptions & StallFlag & { all?: boolean; mine?: boolean; ready?: boolean; owner?: string }): Promise<void> {
  const { context, room } = await openRoom(options);
  const plan = await planTasksVerb(room, context.handle, { all: options.all, mine: options.mine, ready: options.ready, owner: options.owner, ...stall(options) });
  warn(plan.warnings);
  printTasks(plan.tasks, options.json);
}

export async function planTaskAdd(text: string, options: CommonOptions & { owner?: string; needs?: string }): Promise<void> {
  const { context, room } = await openRoom(options);
  const task = await planAddVerb(room, context.handle, { text, owner: options.owner, needs: options.needs, ...stall({}) });
  if (options.json) return printJson(task);
  printLine(task.id);
}

export async function planTaskClaim(id: string, options: CommonOptions & StallFlag): Promise<void> {
  const { context, room } = await openRoom(options);
  printOutcome(await planClaimVerb(room, context.handle, { id, ...stall(options) }), options.json);
}

function closer(to: 'done' | 'open' | 'dropped') {
  return async (ids: string[], options: CommonOptions): Promise<void> => {
    const { context, room } = await openRoom(options);
    printTasks(await planCloseVerb(room, context.handle, { ids, ...stall({}) }, to), options.json);
  };
}
export const planTaskDone = closer('done');
export const planTaskUndo = closer('open');
export const planTaskDrop = closer('dropped');

export async function planTaskAssign(id: string, owner: string, options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  printTasks([await planAssignVerb(room, context.handle, { id, owner, ...stall({}) })], options.json);
}

export async function planTaskEdit(id: string, text: string, options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  printTasks([await planEditVerb(room, context.handle, { id, text, ...stall({}) })], options.json);
}

export async function planTaskNeeds(id: string, needs: string[], options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  printTasks([await planNeedsVerb(room, context.handle, { id, needs, ...stall({}) })], options.json);
}

export async function planReady(options: CommonOptions & StallFlag & { claim?: boolean }): Promise<void> {
  const { context, room } = await openRoom(options);
  const outcome = await planReadyVerb(room, context.handle, { claim: options.claim, ...stall(options) });
  if (!outcome) {
    if (options.json) return printJson(null);
    return warn(['nothing is ready for you: every open task is claimed or blocked (see `mycelium plan tasks`)']);
  }
  printOutcome(outcome, options.json);
}

export async function planShow(options: CommonOptions): Promise<void> {
  const { room } = await openRoom(options);
  const { PLAN_KEY } = await import('../../src/coord/plan/store.js');
  const raw = await room.readRaw(PLAN_KEY);
  if (options.json) {
    const plan = await planTasksVerb(room, 'anyone', { all: true });
    return printJson({ path: room.pathOf(PLAN_KEY), content: raw?.content ?? null, tasks: plan.tasks, warnings: plan.warnings });
  }
  if (!raw) return warn([`room '${room.name}' has no plan yet; add a task with \`mycelium plan task add TEXT\``]);
  writeOut(raw.content);
}
