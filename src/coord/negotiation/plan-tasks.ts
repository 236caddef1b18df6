/**
 * The plan port over the plan library (issue 13): a consensus becomes tasks in `plan/tasks.md`
 * through `writeRunTasks`, so ids, locks and merges are the plan's own.
 *
 * - Each task is marked in the plan's frontmatter (`origins`: the session id and the issue keys it
 *   covers). A later session's consensus drops (`[-]`) every open task an earlier session wrote that
 *   covers one of its issues, LLM-compiled tasks included (they cover all of their session's issues);
 *   the mark finds them, never their text, so a person's own `api: ...` task is left alone.
 * - A task whose text is already open or done is left as it is: compiling the same session twice (a
 *   mediator killed mid-step) adds nothing, and `[x]` lines never change.
 * - The owner is the first participant (in proposer order) who ranked the agreed value first; the
 *   consensus's `assignments` lists all of them. The plan format has one owner per task.
 */
import type { Room } from '../../room.js';
import { PLAN_KEY, readPlan, writeRunTasks } from '../plan/store.js';
import type { PlanPort, PlanTask } from './plan-port.js';

export const planTasksPort: PlanPort = {
  async compile(room: Room, sessionId: string, tasks: PlanTask[], handle: string): Promise<string> {
    await writeRunTasks(room, handle, sessionId, tasks.map((t) => ({ text: t.text, covers: t.covers, ...(t.owners[0] ? { owner: t.owners[0] } : {}) })));
    return `${PLAN_KEY}.md`;
  },
  async openTasks(room: Room): Promise<number> {
    return (await readPlan(room)).tasks.filter((t) => t.state === 'open').length;
  },
};
