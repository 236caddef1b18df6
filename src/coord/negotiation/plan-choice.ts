/** The plan port the faces use (issue 14): one place to switch it when the plan library lands. */
export { sessionTasksPort as defaultPlanPort } from './plan-fallback.js';
