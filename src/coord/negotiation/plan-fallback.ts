/**
 * The plan port used until the plan library (issue 13) is merged: the consensus is compiled into a
 * separate checklist, `sessions/<id>/tasks.md`, one `- [ ] <issue>: <value> @owner ...` line per
 * task. It is rewritten whole (idempotent); plan/tasks.md is never touched by it.
 */
import type { Room } from '../../room.js';
import { SESSIONS_PREFIX } from './format.js';
import type { PlanPort, PlanTask } from './plan-port.js';

export const sessionTasksKey = (id: string) => `${SESSIONS_PREFIX}${id}/tasks`;

export const sessionTasksPort: PlanPort = {
  async compile(room: Room, sessionId: string, tasks: PlanTask[], handle: string): Promise<string> {
    const lines = tasks.map((t) => `- [ ] ${t.text}${t.owners.map((o) => ` @${o}`).join('')}`);
    const text = `# Tasks agreed in session ${sessionId}\n\n${lines.join('\n')}\n`;
    await room.set(sessionTasksKey(sessionId), text, { handle, format: 'text' });
    return `${sessionTasksKey(sessionId)}.md`;
  },
  async openTasks(): Promise<number> {
    return 0;
  },
};
