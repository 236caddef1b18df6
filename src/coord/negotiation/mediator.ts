/**
 * The mediator (issue 14): a pure step function over a session's files. Given session.md, the
 * positions, the current round's replies and the time, it returns the next session.md (and, when
 * the session ends, the outcome), or undefined when nothing is due yet. The store applies it under
 * the session's lock, so whichever process looks first does the work and no step is applied twice.
 *
 * Rules: one standing offer a round (the next candidate, or the round proposer's counter);
 * proposers rotate in participant order; a round closes only when every participant has replied;
 * an agent silent past the round deadline, or one that answers `end`, breaks the session; all
 * accept -> agreed; the round budget spent -> broken.
 */
import type { Issue, Offer, Position, Reply, Session } from './format.js';
import { snap } from './schema.js';
import { type CandidateList, candidates, sameOffer, scorerFor } from './utility.js';
import { byCodeUnit } from '../../text-order.js';

export interface StepResult {
  session: Session;
  /** Set when this step ends the session. */
  ended?: { broken: boolean; outcome: Offer | null; reason: string | null };
}

/** Positions in join order (then handle), the order proposers rotate in when none was given. */
export function joinOrder(positions: Position[]): Position[] {
  // Code-unit order (text-order.ts): the same on every machine and locale, so every mediator rotates alike.
  return [...positions].sort((a, b) => byCodeUnit(a.joined_at, b.joined_at) || byCodeUnit(a.handle, b.handle));
}

/** Issues from what joiners ranked, in first-seen order (no `negotiate open`, no LLM). */
export function issuesFromPositions(positions: Position[]): Issue[] {
  const issues: Issue[] = [];
  for (const position of joinOrder(positions)) {
    for (const [key, options] of Object.entries(position.prefer)) {
      const existing = issues.find((i) => i.key === (snap(key, issues.map((x) => x.key)) ?? ''));
      if (!existing) issues.push({ key, options: [...options] });
      else for (const o of options) if (snap(o, existing.options) === undefined) existing.options.push(o);
    }
  }
  return issues;
}

/**
 * Positions as the mediator counts them: an agent that stated no ranking of its own gets the one
 * the LLM read from its opening message (session.md's `derived_prefer`), if any.
 */
export function withDerivedPrefer(positions: Position[], derived: Record<string, Record<string, string[]>> | undefined): Position[] {
  if (!derived) return positions;
  return positions.map((p) => (Object.keys(p.prefer).length === 0 && derived[p.handle] ? { ...p, prefer: derived[p.handle] } : p));
}

/** A position with its keys and options snapped to the session's issues; what does not match is dropped (noted). */
export function alignPosition(position: Position, issues: Issue[], notes: string[] = []): Position {
  const keys = issues.map((i) => i.key);
  const mapList = (field: Record<string, string[]>, what: string) => {
    const out: Record<string, string[]> = {};
    for (const [raw, options] of Object.entries(field)) {
      const key = snap(raw, keys);
      if (key === undefined) {
        notes.push(`${position.handle}: ${what} on '${raw}' ignored (not an issue; issues: ${keys.join(', ')})`);
        continue;
      }
      const issue = issues.find((i) => i.key === key) as Issue;
      out[key] = options.map((o) => snap(o, issue.options)).filter((o): o is string => o !== undefined);
    }
    return out;
  };
  const weight: Record<string, number> = {};
  for (const [raw, w] of Object.entries(position.weight)) {
    const key = snap(raw, keys);
    if (key !== undefined) weight[key] = w;
  }
  return { ...position, prefer: mapList(position.prefer, '--prefer'), limits: mapList(position.limits, '--limit'), weight };
}

/** The candidate list for a session's participants (positions aligned to its issues). */
export function sessionCandidates(issues: Issue[], participants: string[], positions: Position[]): CandidateList {
  const byHandle = new Map(positions.map((p) => [p.handle, p]));
  const scorers = participants.map((h) => {
    const position = byHandle.get(h) ?? { handle: h, message: '', prefer: {}, weight: {}, limits: {}, joined_at: '' };
    return scorerFor(alignPosition(position, issues), issues);
  });
  return candidates(issues, scorers);
}

/** The mediator's next offer: the best candidate nobody has rejected yet (acceptable ones first). */
export function nextCandidate(list: CandidateList, rejected: Offer[]): Offer {
  const fresh = (offer: Offer) => !rejected.some((r) => sameOffer(r, offer));
  const pick = list.acceptable.find((c) => fresh(c.offer)) ?? list.all.find((c) => fresh(c.offer)) ?? list.acceptable[0] ?? list.all[0];
  return pick.offer;
}

export function proposerOf(session: Session, round: number): string {
  return session.participants[(round - 1) % session.participants.length];
}

function withDeadline(session: Session, now: Date): Session {
  return {
    ...session,
    round_started_at: now.toISOString(),
    round_deadline: new Date(now.getTime() + session.round_timeout_s * 1000).toISOString(),
  };
}

function conclude(session: Session, broken: boolean, outcome: Offer | null, reason: string | null, prior: string): StepResult {
  return {
    session: { ...session, state: 'concluded', prior_round_outcome: prior, reason, round_deadline: null },
    ended: { broken, outcome, reason },
  };
}

/** Whether the joining phase is over, and who takes part. */
function readyToStart(session: Session, positions: Position[], now: Date): string[] | undefined {
  const joined = joinOrder(positions).map((p) => p.handle);
  if (session.participants_wanted) {
    return session.participants_wanted.every((h) => joined.includes(h)) ? session.participants_wanted : undefined;
  }
  return now.getTime() >= Date.parse(session.join_deadline) && joined.length >= 2 ? joined : undefined;
}

/** One step of the mediator. Pure: the same inputs always give the same result. */
export function step(session: Session, positions: Position[], replies: Reply[], now: Date): StepResult | undefined {
  if (session.state === 'concluded') return undefined;
  if (session.state === 'joining') return start(session, positions, now);

  const round = session.round;
  const mine = new Map(replies.filter((r) => r.round === round && session.participants.includes(r.handle)).map((r) => [r.handle, r]));
  const ended = session.participants.find((h) => mine.get(h)?.action === 'end');
  if (ended) return conclude(session, true, null, `${ended} ended the session in round ${round}`, 'no_consensus');
  const silent = session.participants.filter((h) => !mine.has(h));
  if (silent.length > 0) {
    if (now.getTime() <= Date.parse(session.round_deadline as string)) return undefined;
    return conclude(
      session,
      true,
      null,
      `${silent.join(', ')} did not reply within ${session.round_timeout_s}s in round ${round}; a silent agent breaks the session`,
      'no_consensus',
    );
  }

  const standing = session.standing_offer as Offer;
  const issues = session.issues as Issue[];
  const proposerReply = mine.get(session.proposer_id as string);
  if (proposerReply?.action !== 'propose' && session.participants.every((h) => mine.get(h)?.action === 'accept')) {
    return conclude(session, false, standing, null, 'agreed');
  }
  // A counter replaces the standing offer without burning it; a round without a counter that
  // someone rejected burns it. When every acceptable candidate is burnt a new pass starts:
  // aspirations fall over time, so an offer refused early may be accepted later.
  const countered = proposerReply?.action === 'propose' && proposerReply.offer !== undefined;
  const list = sessionCandidates(issues, session.participants, positions);
  let next: Session;
  if (countered) {
    next = { ...session, standing_offer: proposerReply.offer as Offer, offer_source: 'counter', prior_round_outcome: 'proposer_countered' };
  } else {
    const rejecter = session.participants.find((h) => mine.get(h)?.action === 'reject') as string;
    let rejected = session.rejected.some((r) => sameOffer(r, standing)) ? session.rejected : [...session.rejected, standing];
    if (!list.acceptable.some((c) => !rejected.some((r) => sameOffer(r, c.offer)))) rejected = [];
    next = { ...session, rejected, standing_offer: nextCandidate(list, rejected), offer_source: 'candidate', prior_round_outcome: `rejected_by_${rejecter}` };
  }
  if (round >= session.n_steps_total) {
    const why =
      list.acceptable.length === 0
        ? `no outcome respects every participant's hard limits (${limitsSummary(positions, session.participants, issues)}), so no offer could be accepted in ${round} rounds`
        : `no offer was accepted by everyone within the ${session.n_steps_total}-round budget`;
    return conclude({ ...next, standing_offer: standing }, true, null, why, 'no_consensus');
  }
  return { session: withDeadline({ ...next, round: round + 1, proposer_id: proposerOf(session, round + 1) }, now) };
}

function start(session: Session, positions: Position[], now: Date): StepResult | undefined {
  const participants = readyToStart(session, positions, now);
  if (!participants) {
    const wanted = session.participants_wanted;
    if (!wanted || now.getTime() < Date.parse(session.join_deadline)) return undefined;
    const joined = new Set(positions.map((p) => p.handle));
    const absent = wanted.filter((h) => !joined.has(h));
    return conclude(session, true, null, `${absent.join(', ')} did not join within the join window`, 'no_consensus');
  }
  const issues = session.issues ?? issuesFromPositions(positions);
  const notes = [...session.notes];
  const base: Session = { ...session, participants, issues, issues_source: session.issues_source ?? 'positions' };
  if (issues.length === 0) {
    return conclude(
      base,
      true,
      null,
      'no issues to negotiate: nobody stated --prefer and none were opened; run `mycelium negotiate open --issue KEY=a,b`',
      'no_consensus',
    );
  }
  for (const p of positions) if (participants.includes(p.handle)) alignPosition(p, issues, notes);
  const list = sessionCandidates(issues, participants, positions);
  if (list.cut) notes.push(`the option grid has ${list.gridSize} outcomes; only the first ${list.all.length} were considered`);
  if (list.acceptable.length === 0) notes.push('no outcome respects every hard limit; the session will end without agreement');
  const first: Session = {
    ...base,
    state: 'active',
    notes,
    round: 1,
    standing_offer: nextCandidate(list, []),
    offer_source: 'candidate',
    proposer_id: participants[0],
    prior_round_outcome: 'first_round',
    grid_size: list.gridSize,
    grid_cut: list.cut,
  };
  return { session: withDeadline(first, now) };
}

function limitsSummary(positions: Position[], participants: string[], issues: Issue[]): string {
  const parts: string[] = [];
  for (const p of positions) {
    if (!participants.includes(p.handle)) continue;
    for (const [key, options] of Object.entries(alignPosition(p, issues).limits)) {
      if (options.length > 0) parts.push(`${p.handle} refuses ${key}=${options.join('|')}`);
    }
  }
  return parts.join('; ') || 'none stated';
}
