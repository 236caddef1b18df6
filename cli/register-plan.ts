import type { Command } from 'commander';
import { PLAN_TASK_DONE, PLAN_TASKS, STALL_FLAG } from './verb-spec.js';
import { action, common, specCommand } from './wiring.js';

/** `plan tasks|ready|show` and `plan task add|claim|done|undo|drop|assign|edit|needs` (issue 13). */
export function registerPlan(program: Command): void {
  const plan = program.command('plan').description('the shared plan: plan/tasks.md, a checklist with stable ids, owners and needs');
  const load = async () => import('./commands/plan.js');
  const stall = (c: Command) => c.option(STALL_FLAG.flags, STALL_FLAG.description);
  specCommand(plan, PLAN_TASKS).action(action(async () => (await load()).planTasks));
  stall(common(plan.command('ready').description('the next ready task for me (mine first, then unowned, then stalled)')))
    .option('--claim', 'claim it in the same locked step')
    .action(action(async () => (await load()).planReady));
  common(plan.command('show').description('print plan/tasks.md as it is on disk (edit it by hand any time)'))
    .action(action(async () => (await load()).planShow));

  const task = plan.command('task').description('add and change tasks');
  common(task.command('add').argument('<text>', 'what is to be done (one line)').description('add a task; prints its id'))
    .option('--owner <handle>', 'who owns it')
    .option('--needs <ids>', 'task ids it needs first, comma-separated')
    .action(action(async () => (await load()).planTaskAdd));
  stall(common(task.command('claim').argument('<id>', 'task id').description('take a task (exit 3 naming the holder if someone else has it)')))
    .action(action(async () => (await load()).planTaskClaim));
  specCommand(task, PLAN_TASK_DONE).action(action(async () => (await load()).planTaskDone));
  common(task.command('undo').argument('<ids...>', 'task ids').description('open done or dropped tasks again'))
    .action(action(async () => (await load()).planTaskUndo));
  common(task.command('drop').argument('<ids...>', 'task ids').description('cancel tasks: they no longer block anything'))
    .action(action(async () => (await load()).planTaskDrop));
  common(task.command('assign').argument('<id>', 'task id').argument('<owner>', 'handle').description('give a task to a handle'))
    .action(action(async () => (await load()).planTaskAssign));
  common(task.command('edit').argument('<id>', 'task id').argument('<text>', 'the new text').description("replace a task's text"))
    .action(action(async () => (await load()).planTaskEdit));
  common(task.command('needs').argument('<id>', 'task id').argument('<deps...>', 'ids it needs').description('add dependencies (a cycle is refused, exit 2)'))
    .action(action(async () => (await load()).planTaskNeeds));
}
