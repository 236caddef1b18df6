/** The plan port the faces use (issue 14): the plan library's `plan/tasks.md`. */
export { planTasksPort as defaultPlanPort } from './plan-tasks.js';
