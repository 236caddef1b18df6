/**
 * `negotiate auto` (issue 14): answers a handle's ticks from its stated preferences. It accepts an
 * offer worth at least its aspiration `1 - t^e` (t = round / n_steps_total; boulware e = 4, linear
 * e = 1, conceder e = 0.25), and, when it may counter and would not accept, offers the best candidate
 * for itself among those the mediator has not yet seen rejected. Pure: same tick, same files, same
 * answer.
 */
import type { Issue, Offer, Position, Session } from './format.js';
import { alignPosition, sessionCandidates } from './mediator.js';
import { STRATEGIES, type Strategy } from './schema.js';
import { sameOffer, scorerFor, utilityOfOffer } from './utility.js';

export type AutoDecision = { action: 'accept' | 'reject' } | { action: 'propose'; offer: Offer };

export function aspiration(round: number, total: number, strategy: Strategy): number {
  const t = Math.min(1, Math.max(0, round / total));
  return 1 - Math.pow(t, STRATEGIES[strategy]);
}

export function decide(session: Session, positions: Position[], handle: string, strategy: Strategy): AutoDecision {
  const issues = session.issues as Issue[];
  const own = positions.find((p) => p.handle === handle) ?? { handle, message: '', prefer: {}, weight: {}, limits: {}, joined_at: '' };
  const scorer = scorerFor(alignPosition(own, issues), issues);
  const standing = session.standing_offer as Offer;
  const value = utilityOfOffer(scorer, standing, issues);
  const wanted = aspiration(session.round, session.n_steps_total, strategy);
  if (value >= wanted && value >= 0) return { action: 'accept' };
  if (session.proposer_id === handle) {
    const list = sessionCandidates(issues, session.participants, positions);
    const me = session.participants.indexOf(handle);
    let best: { offer: Offer; u: number } | undefined;
    for (const c of list.acceptable) {
      if (session.rejected.some((r) => sameOffer(r, c.offer)) || sameOffer(c.offer, standing)) continue;
      // Candidates come best-Nash first, so among equal utilities for us the fairer one wins.
      if (!best || c.utilities[me] > best.u) best = { offer: c.offer, u: c.utilities[me] };
    }
    if (best && best.u > value) return { action: 'propose', offer: best.offer };
  }
  return { action: 'reject' };
}
