/**
 * The lines an agent reads (issue 14): a tick when it owes a reply in the current round, the
 * consensus when the session has ended. Built from the session's files alone, so `session await`
 * (which polls the files) and the tick messages (which reach `mycelium await` and the inbox) carry
 * the same JSON.
 */
import { MemoryNotFoundError } from '../../errors.js';
import type { Room } from '../../room.js';
import { type Consensus, type Offer, type Session, readReply, replyKey } from './format.js';
import { proposerOf } from './mediator.js';

export interface TickEvent {
  type: 'tick';
  session: string;
  round: number;
  n_steps_total: number;
  /** `propose_or_respond` for the round's proposer, else `respond`. */
  action: 'respond' | 'propose_or_respond';
  can_counter_offer: boolean;
  current_offer: Offer;
  proposer_id: string;
  next_proposer_id: string;
  issues: string[];
  issue_options: Record<string, string[]>;
  your_last_action: string | null;
  prior_round_outcome: string;
  plan_open_tasks: number;
}

export interface ConsensusEvent {
  type: 'consensus';
  session: string;
  plan: string[];
  plan_file: string | null;
  assignments: Record<string, string[]>;
  broken: boolean;
  outcome: Offer | null;
  reason: string | null;
  replayed?: true;
}

export function tickFor(session: Session, handle: string, lastAction: string | null, planOpenTasks: number): TickEvent {
  const s = session;
  const options: Record<string, string[]> = {};
  for (const issue of s.issues ?? []) options[issue.key] = issue.options;
  const mayCounter = s.proposer_id === handle;
  return {
    type: 'tick',
    session: s.id,
    round: s.round,
    n_steps_total: s.n_steps_total,
    action: mayCounter ? 'propose_or_respond' : 'respond',
    can_counter_offer: mayCounter,
    current_offer: s.standing_offer ?? {},
    proposer_id: s.proposer_id ?? '',
    next_proposer_id: proposerOf(s, s.round + 1),
    issues: (s.issues ?? []).map((i) => i.key),
    issue_options: options,
    your_last_action: lastAction,
    prior_round_outcome: s.prior_round_outcome,
    plan_open_tasks: planOpenTasks,
  };
}

/** What the handle answered in the round before the current one (null in round 1 or when it did not). */
export async function lastActionOf(room: Room, session: Session, handle: string): Promise<string | null> {
  const round = session.round - 1;
  if (round < 1) return null;
  try {
    return readReply(await room.get(replyKey(session.id, round, handle)), handle, round).action;
  } catch (err) {
    if (err instanceof MemoryNotFoundError) return null;
    throw err;
  }
}

/** The consensus line of a concluded session (consensus.md missing: broken, with session.md's reason). */
export function consensusEventOf(session: Session, consensus: Consensus | undefined): ConsensusEvent {
  return {
    type: 'consensus',
    session: session.id,
    plan: consensus?.plan ?? [],
    plan_file: consensus?.plan_file ?? null,
    assignments: consensus?.assignments ?? {},
    broken: consensus?.broken ?? true,
    outcome: consensus?.outcome ?? null,
    reason: consensus?.reason ?? session.reason,
  };
}
