/**
 * Where a consensus becomes tasks (issue 14). The negotiation writes through this small interface so
 * the plan's own library (issue 13) keeps ids, locks and merges; nothing here parses the plan.
 *
 * With no LLM, one task per agreed issue, `<issue>: <value>`, tagged with the participants who ranked
 * that value first.
 */
import type { Room } from '../../room.js';
import type { Issue, Offer, Position } from './format.js';
import { alignPosition } from './mediator.js';

export interface PlanTask {
  text: string;
  /** Participants who ranked this value first (the task's tags). */
  owners: string[];
  /** The issue keys the task settles: a later session settling one of them replaces it while it is open. */
  covers: string[];
}

export interface PlanPort {
  /**
   * Writes the session's tasks into the plan and returns the plan file's path relative to the room.
   * Must be idempotent for one session (a mediator killed mid-write runs it again), must keep every
   * done task as it is, and replaces the open tasks earlier sessions wrote that cover an issue one of
   * `tasks` covers.
   */
  compile(room: Room, sessionId: string, tasks: PlanTask[], handle: string): Promise<string>;
  /** How many open tasks the plan has (the ticks' `plan_open_tasks`). */
  openTasks(room: Room): Promise<number>;
}

/** One task per agreed issue, tagged with who ranked the agreed value first. */
export function tasksFromOutcome(outcome: Offer, issues: Issue[], participants: string[], positions: Position[]): PlanTask[] {
  const aligned = positions.filter((p) => participants.includes(p.handle)).map((p) => alignPosition(p, issues));
  return issues.map((issue) => ({
    text: `${issue.key}: ${outcome[issue.key]}`,
    owners: participants.filter((h) => aligned.find((p) => p.handle === h)?.prefer[issue.key]?.[0] === outcome[issue.key]),
    covers: [issue.key],
  }));
}

export function assignmentsOf(tasks: PlanTask[], participants: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const handle of participants) out[handle] = tasks.filter((t) => t.owners.includes(handle)).map((t) => t.text);
  return out;
}
