/**
 * What changed between two readings of the plan, task by task (issue 13), for live views such as
 * `mycelium watch`: a plan write is one memory update, but a person wants "t-7k2f claimed by @bob".
 * Pure: the caller keeps the previous reading.
 */
import type { Task } from './store.js';

export type TaskChangeKind = 'added' | 'claimed' | 'unclaimed' | 'done' | 'dropped' | 'reopened' | 'edited' | 'removed';

export interface TaskChange {
  change: TaskChangeKind;
  id: string;
  text: string;
  /** The owner after the change (for `claimed`: who took it). */
  owner: string | null;
  /** Who closed it, for done and dropped. */
  by: string | null;
}

/** The task changes from `before` to `after`, in the order of `after` (removed ones last). */
export function diffPlans(before: Task[], after: Task[]): TaskChange[] {
  const old = new Map(before.filter((t) => t.id !== '').map((t) => [t.id, t]));
  const out: TaskChange[] = [];
  const seen = new Set<string>();
  for (const t of after) {
    if (t.id === '') continue;
    seen.add(t.id);
    const was = old.get(t.id);
    const line = (change: TaskChangeKind): TaskChange => ({ change, id: t.id, text: t.text, owner: t.owner, by: t.closed_by });
    if (!was) {
      out.push(line('added'));
      continue;
    }
    if (was.state !== t.state) out.push(line(t.state === 'open' ? 'reopened' : t.state));
    if (was.owner !== t.owner) out.push(line(t.owner ? 'claimed' : 'unclaimed'));
    if (was.text !== t.text) out.push(line('edited'));
  }
  for (const [id, t] of old) if (!seen.has(id)) out.push({ change: 'removed', id, text: t.text, owner: t.owner, by: null });
  return out;
}
