/**
 * What an outcome is worth to each agent, and the mediator's candidate list (issue 14).
 * Pure functions: the same issues and positions always give the same numbers and order.
 *
 * Option score: `1 - rank/(n-1)` over the agent's ranking (options it did not rank share the rank
 * after the ranked ones); an issue it ranked nothing on is worth the same whatever happens. Utility:
 * the weighted mean of option scores (weights default to 1 on ranked issues), in [0, 1]. A hard
 * limit makes an outcome unacceptable to that agent (utility -1 marks it).
 */
import { GRID_CAP, type Issue, type Offer, type Position } from './format.js';

export const UNACCEPTABLE = -1;

/** An agent's preferences compiled against the session's issues, for fast scoring. */
export interface Scorer {
  handle: string;
  /** Per issue, the score of each option index. */
  scores: number[][];
  weights: number[];
  /** Per issue, the option indexes the agent refuses. */
  limits: Set<number>[];
}

export function scorerFor(position: Position, issues: Issue[]): Scorer {
  const scores: number[][] = [];
  const weights: number[] = [];
  const limits: Set<number>[] = [];
  for (const issue of issues) {
    const ranking = (position.prefer[issue.key] ?? []).filter((o) => issue.options.includes(o));
    const n = issue.options.length;
    const ranked = [...new Set(ranking)];
    scores.push(
      issue.options.map((option) => {
        if (n <= 1) return 1;
        const rank = ranked.indexOf(option);
        return 1 - (rank === -1 ? ranked.length : rank) / (n - 1);
      }),
    );
    const stated = position.weight[issue.key];
    weights.push(ranked.length === 0 ? 0 : stated !== undefined ? stated : 1);
    limits.push(new Set((position.limits[issue.key] ?? []).map((o) => issue.options.indexOf(o)).filter((i) => i >= 0)));
  }
  return { handle: position.handle, scores, weights, limits };
}

/** Utility of an outcome given as option indexes (one per issue); UNACCEPTABLE under a hard limit. */
export function utilityOf(scorer: Scorer, choice: number[]): number {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < choice.length; i++) {
    if (scorer.limits[i].has(choice[i])) return UNACCEPTABLE;
    sum += scorer.weights[i] * scorer.scores[i][choice[i]];
    total += scorer.weights[i];
  }
  return total === 0 ? 1 : sum / total;
}

export function offerToChoice(offer: Offer, issues: Issue[]): number[] {
  return issues.map((issue) => Math.max(0, issue.options.indexOf(offer[issue.key])));
}

export function choiceToOffer(choice: number[], issues: Issue[]): Offer {
  const offer: Offer = {};
  issues.forEach((issue, i) => (offer[issue.key] = issue.options[choice[i]]));
  return offer;
}

export function utilityOfOffer(scorer: Scorer, offer: Offer, issues: Issue[]): number {
  return utilityOf(scorer, offerToChoice(offer, issues));
}

export interface Candidate {
  choice: number[];
  offer: Offer;
  utilities: number[];
  nash: number;
  min: number;
}

export interface CandidateList {
  /** Acceptable to everyone, best first: Nash product, then the larger minimum, then option order. */
  acceptable: Candidate[];
  /** Every enumerated outcome in the same order, acceptable or not (for a clean "no agreement"). */
  all: Candidate[];
  gridSize: number;
  /** True when the grid had more than GRID_CAP outcomes and only the first GRID_CAP were looked at. */
  cut: boolean;
}

export function gridSizeOf(issues: Issue[]): number {
  return issues.reduce((n, issue) => n * issue.options.length, 1);
}

/** Enumerates the option grid (in option order, up to `cap`) and ranks it. */
export function candidates(issues: Issue[], scorers: Scorer[], cap = GRID_CAP): CandidateList {
  const gridSize = gridSizeOf(issues);
  const all: Candidate[] = [];
  const choice = issues.map(() => 0);
  const limit = Math.min(gridSize, cap);
  for (let count = 0; count < limit; count++) {
    const utilities = scorers.map((s) => utilityOf(s, choice));
    const ok = utilities.every((u) => u !== UNACCEPTABLE);
    const nash = ok ? utilities.reduce((p, u) => p * u, 1) : -1;
    const min = ok ? Math.min(...utilities) : -1;
    all.push({ choice: [...choice], offer: choiceToOffer(choice, issues), utilities, nash, min });
    for (let i = choice.length - 1; i >= 0; i--) {
      if (++choice[i] < issues[i].options.length) break;
      choice[i] = 0;
    }
  }
  // Enumeration order is option order, so a stable sort keeps it as the last tie-breaker.
  all.sort((a, b) => b.nash - a.nash || b.min - a.min);
  return { acceptable: all.filter((c) => c.nash >= 0), all, gridSize, cut: gridSize > cap };
}

export function sameOffer(a: Offer, b: Offer): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
