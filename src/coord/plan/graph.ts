/**
 * What the plan's dependencies mean (issue 13): which tasks are ready, why the others are blocked,
 * and which writes would make a cycle. Pure functions over task lines; no I/O.
 */
import { DependencyCycleError, TaskNotFoundError } from '../../errors.js';
import type { TaskLine } from './format.js';

/** Why an open task cannot start: needs that are still open, and needs that name no task. */
export interface Blockers {
  waiting: string[];
  missing: string[];
}

export function blockersOf(task: TaskLine, byId: Map<string, TaskLine>): Blockers {
  const waiting: string[] = [];
  const missing: string[] = [];
  for (const need of task.needs) {
    const dep = byId.get(need);
    if (!dep) missing.push(need);
    else if (dep.state === 'open') waiting.push(need);
  }
  return { waiting, missing };
}

/** Ready = open, and every `needs:` id is done or dropped (an id that names no task blocks). */
export function isReady(task: TaskLine, byId: Map<string, TaskLine>): boolean {
  if (task.state !== 'open') return false;
  const { waiting, missing } = blockersOf(task, byId);
  return waiting.length === 0 && missing.length === 0;
}

/**
 * The cycle that `from` needing `deps` would close, as ids (`[a, b, a]`), or undefined. A task
 * needing itself is the shortest cycle.
 */
export function findCycle(from: string, deps: string[], byId: Map<string, TaskLine>): string[] | undefined {
  for (const dep of deps) {
    if (dep === from) return [from, from];
    // Is `from` reachable from dep through existing needs? Then from → dep → … → from.
    const path = pathTo(dep, from, byId);
    if (path) return [from, ...path];
  }
  return undefined;
}

function pathTo(start: string, goal: string, byId: Map<string, TaskLine>): string[] | undefined {
  const parent = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (id === goal) {
      const path: string[] = [];
      for (let at: string | null = id; at !== null; at = parent.get(at) ?? null) path.unshift(at);
      return path;
    }
    for (const next of byId.get(id)?.needs ?? []) {
      if (!parent.has(next)) {
        parent.set(next, id);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/** Refuses a write whose needs would make a cycle, naming it. */
export function assertNoCycle(from: string, deps: string[], byId: Map<string, TaskLine>): void {
  const cycle = findCycle(from, deps, byId);
  if (!cycle) return;
  if (cycle.length === 2 && cycle[0] === cycle[1]) {
    throw new DependencyCycleError(`${from} cannot need itself; name another task`);
  }
  throw new DependencyCycleError(`that would make a dependency cycle: ${cycle.join(' → ')}; drop one of those needs first`);
}

/** The task with this id, or TaskNotFoundError suggesting the closest id there is. */
export function taskOrThrow(id: string, byId: Map<string, TaskLine>, room: string): TaskLine {
  const task = byId.get(id.trim().toLowerCase());
  if (task) return task;
  const closest = closestId(id, [...byId.keys()]);
  const hint = closest ? `did you mean ${closest}?` : 'list them with `mycelium plan tasks --all`';
  throw new TaskNotFoundError(`no task '${id}' in the plan of room '${room}'; ${hint}`);
}

/** The id nearest to `input` by edit distance (at most half its length away), or undefined. */
export function closestId(input: string, ids: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const needle = input.trim().toLowerCase();
  for (const id of ids) {
    const d = editDistance(needle, id);
    if (d < bestDistance) {
      best = id;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.ceil(needle.length / 2)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
