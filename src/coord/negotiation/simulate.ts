/**
 * A whole negotiation in memory (issue 14): the same mediator step and the same auto strategy the
 * files use, with no files and a fixed clock. For the quality benchmark and for tests that check
 * what the rules decide; the processes and files are tested separately.
 */
import type { Issue, Offer, Position, Reply, Session } from './format.js';
import { decide } from './auto.js';
import { step } from './mediator.js';
import { parseOpen, type Strategy } from './schema.js';
import { SESSION_SCHEMA } from './format.js';

export interface SimulationResult {
  broken: boolean;
  outcome: Offer | null;
  rounds: number;
  reason: string | null;
}

export function simulate(issues: Issue[], positions: Position[], strategy: Strategy, rounds = 20): SimulationResult {
  const open = parseOpen({ rounds });
  const at = new Date('2026-01-01T00:00:00.000Z');
  let session: Session = {
    schema: SESSION_SCHEMA, id: '20260101-000000000-sim0', state: 'joining', created_at: at.toISOString(), created_by: 'sim',
    join_deadline: at.toISOString(), round_timeout_s: open.roundTimeoutS, n_steps_total: open.rounds,
    participants_wanted: positions.map((p) => p.handle), issues, issues_source: 'explicit', participants: [], round: 0,
    round_started_at: null, round_deadline: null, standing_offer: null, offer_source: null, proposer_id: null, rejected: [],
    prior_round_outcome: 'first_round', grid_size: 0, grid_cut: false, notes: [], reason: null,
  };
  for (let guard = 0; guard < rounds * 2 + 4; guard++) {
    let replies: Reply[] = [];
    if (session.state === 'active') {
      replies = session.participants.map((handle) => {
        const d = decide(session, positions, handle, strategy);
        return { handle, round: session.round, at: at.toISOString(), ...d };
      });
    }
    const next = step(session, positions, replies, at);
    if (!next) break;
    session = next.session;
    if (next.ended) return { broken: next.ended.broken, outcome: next.ended.outcome, rounds: session.round, reason: next.ended.reason };
  }
  return { broken: true, outcome: null, rounds: session.round, reason: 'simulation did not end' };
}
