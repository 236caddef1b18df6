/**
 * The plan port over the plan library (issue 13): a consensus becomes tasks in `plan/tasks.md`
 * through `addTasks`/`dropTask`, so ids, locks and merges are the plan's own.
 *
 * - A task whose text is already in the plan (open, done or dropped) is left as it is: compiling
 *   the same session twice (a mediator killed mid-step) adds nothing, and `[x]` lines never change.
 * - Re-negotiating an issue drops (`[-]`) the open tasks an earlier consensus wrote for it with
 *   another value; done ones stay as they are.
 * - The owner is the first participant (in proposer order) who ranked the agreed value first; the
 *   consensus's `assignments` lists all of them. The plan format has one owner per task.
 */
import type { Room } from '../../room.js';
import { PLAN_KEY, addTasks, dropTask, readPlan } from '../plan/store.js';
import type { PlanPort, PlanTask } from './plan-port.js';

/** `<issue>: ` — the prefix by which a task says which issue it settles. */
const issuePrefix = (text: string) => (text.includes(': ') ? text.slice(0, text.indexOf(': ') + 2) : '');

export const planTasksPort: PlanPort = {
  async compile(room: Room, _sessionId: string, tasks: PlanTask[], handle: string, settles?: string[]): Promise<string> {
    const plan = await readPlan(room);
    const texts = new Set(plan.tasks.map((t) => t.text));
    const settled = new Set(settles ? settles.map((key) => `${key}: `) : tasks.map((t) => issuePrefix(t.text)));
    const wanted = new Set(tasks.map((t) => t.text));
    const stale = plan.tasks.filter((t) => t.state === 'open' && settled.has(issuePrefix(t.text)) && issuePrefix(t.text) !== '' && !wanted.has(t.text));
    if (stale.length > 0) await dropTask(room, handle, stale.map((t) => t.id));
    const fresh = tasks.filter((t) => !texts.has(t.text));
    if (fresh.length > 0) await addTasks(room, handle, fresh.map((t) => ({ text: t.text, ...(t.owners[0] ? { owner: t.owners[0] } : {}) })));
    return `${PLAN_KEY}.md`;
  },
  async openTasks(room: Room): Promise<number> {
    return (await readPlan(room)).tasks.filter((t) => t.state === 'open').length;
  },
};
