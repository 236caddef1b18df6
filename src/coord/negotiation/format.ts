/**
 * On-disk layout of a negotiation (issue 14). Every step is a file in the room:
 *
 *   sessions/<id>/session.md              the mediator's state (JSON body): issues and options,
 *                                         participants, order, round, standing offer, deadlines,
 *                                         state. Written by the mediator only, under the session lock.
 *   sessions/<id>/positions/<handle>.md   an agent's opening position and preferences (that agent only)
 *   sessions/<id>/rounds/<n>/<handle>.md  an agent's one reply in round n (created once, never rewritten)
 *   sessions/<id>/consensus.md            the outcome: agreed values, tasks, plan file, or broken + why
 *
 * Ids sort by creation time: `<yyyymmdd>-<hhmmssmmm>-<rand4>` (UTC, to the millisecond). This file holds the shapes and the
 * checks that turn a file back into a shape (a file that fails them is SessionCorruptError, named).
 */
import { nodeCrypto } from '../../content-hash.js';
import { SessionCorruptError } from '../../errors.js';
import type { Memory } from '../../room.js';
import { isValidHandle } from '../handle.js';

export const SESSIONS_PREFIX = 'sessions/';
export const SESSION_SCHEMA = 1;
/** The largest option grid the mediator enumerates; beyond it the grid is cut (and says so). */
export const GRID_CAP = 10_000;
export const DEFAULT_ROUNDS = 20;
export const DEFAULT_JOIN_WINDOW_S = 30;
export const DEFAULT_ROUND_TIMEOUT_S = 300;

/** One value per issue key. */
export type Offer = Record<string, string>;

export interface Issue {
  key: string;
  options: string[];
}

export type SessionState = 'joining' | 'active' | 'concluded';
export type ReplyAction = 'accept' | 'reject' | 'end' | 'propose';

export interface Session {
  schema: number;
  id: string;
  state: SessionState;
  created_at: string;
  created_by: string;
  /** When joining stops waiting for more agents (unless `participants_wanted` are all in first). */
  join_deadline: string;
  round_timeout_s: number;
  n_steps_total: number;
  /** `--participants`: the session starts as soon as all of them have joined. */
  participants_wanted: string[] | null;
  /** Set by `negotiate open`; null until the session starts when derived from positions. */
  issues: Issue[] | null;
  issues_source: 'explicit' | 'positions' | 'llm' | null;
  /** With issues_source 'llm': the rankings the LLM read from free-text positions (handle -> issue -> best first), used for agents that stated none. */
  derived_prefer?: Record<string, Record<string, string[]>>;
  /** The tasks the LLM compiled for an agreed outcome, kept before the plan is written so a rerun compiles the same ones. */
  llm_tasks?: { outcome: Offer; tasks: { text: string; owners: string[] }[] };
  /** In proposer order (join order, or the order `--participants` gave). */
  participants: string[];
  round: number;
  round_started_at: string | null;
  round_deadline: string | null;
  standing_offer: Offer | null;
  offer_source: 'candidate' | 'counter' | null;
  proposer_id: string | null;
  /** Offers that stood in a round someone rejected, in order. */
  rejected: Offer[];
  prior_round_outcome: string;
  grid_size: number;
  grid_cut: boolean;
  /** Why the session ended broken, or notes (keys that were ignored, a cut grid). */
  notes: string[];
  reason: string | null;
}

export interface Position {
  handle: string;
  message: string;
  /** issue -> options, best first, as the agent stated them (snapped to real keys when known). */
  prefer: Record<string, string[]>;
  weight: Record<string, number>;
  /** issue -> options the agent will not accept. */
  limits: Record<string, string[]>;
  joined_at: string;
}

export interface Reply {
  handle: string;
  round: number;
  action: ReplyAction;
  /** For `propose`: the full offer (partial offers are filled from the standing one before writing). */
  offer?: Offer;
  at: string;
}

export interface Consensus {
  session: string;
  broken: boolean;
  reason: string | null;
  outcome: Offer | null;
  round: number;
  /** Task texts compiled into the plan, in order. */
  plan: string[];
  plan_file: string | null;
  /** handle -> the tasks it was tagged on. */
  assignments: Record<string, string[]>;
  participants: string[];
  /** Where the tasks came from: 'llm' (3-10 compiled tasks) or 'issues' (one per agreed issue). */
  tasks_source?: 'llm' | 'issues';
  /** Why the LLM was not used, when it was configured but failed or was refused. */
  notes?: string[];
  at: string;
}

export const sessionKey = (id: string) => `${SESSIONS_PREFIX}${id}/session`;
export const positionKey = (id: string, handle: string) => `${SESSIONS_PREFIX}${id}/positions/${handle}`;
export const roundPrefix = (id: string, round: number) => `${SESSIONS_PREFIX}${id}/rounds/${round}/`;
export const replyKey = (id: string, round: number, handle: string) => `${roundPrefix(id, round)}${handle}`;
export const consensusKey = (id: string) => `${SESSIONS_PREFIX}${id}/consensus`;
export const SESSION_ID = /^\d{8}-\d{9}-[a-z0-9]{4}$/;

export function newSessionId(at: Date): string {
  const iso = at.toISOString();
  const rand = [...nodeCrypto().randomBytes(4)].map((b) => (b % 36).toString(36)).join('');
  return `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 23).replace(/[:.]/g, '')}-${rand}`;
}

/** The session id of a `sessions/<id>/session` key, else undefined. */
export function sessionIdOf(key: string): string | undefined {
  const match = /^sessions\/([^/]+)\/session$/.exec(key);
  return match && SESSION_ID.test(match[1]) ? match[1] : undefined;
}

// ---- reading files back: everything is checked, nothing is guessed ----

function corrupt(memory: Memory, why: string): SessionCorruptError {
  return new SessionCorruptError(
    `${memory.path} is not a valid negotiation file (${why}); restore it (e.g. from git) or start a new session with \`mycelium negotiate open\``,
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isOffer = (v: unknown): v is Offer => isObject(v) && Object.values(v).every((s) => typeof s === 'string');
const isTime = (v: unknown): v is string => typeof v === 'string' && Number.isFinite(Date.parse(v));

function body(memory: Memory): Record<string, unknown> {
  if (memory.warnings.length > 0) throw corrupt(memory, memory.warnings[0].replace(/^warning: [^ ]+ /, ''));
  if (memory.format !== 'json' || !isObject(memory.value)) throw corrupt(memory, 'its body is not a JSON object');
  return memory.value;
}

export function readSession(memory: Memory): Session {
  const v = body(memory);
  const need = (ok: boolean, field: string) => {
    if (!ok) throw corrupt(memory, `field '${field}' is missing or wrong`);
  };
  need(v.schema === SESSION_SCHEMA, 'schema');
  need(typeof v.id === 'string' && SESSION_ID.test(v.id), 'id');
  need(v.state === 'joining' || v.state === 'active' || v.state === 'concluded', 'state');
  need(isTime(v.created_at), 'created_at');
  need(typeof v.created_by === 'string', 'created_by');
  need(isTime(v.join_deadline), 'join_deadline');
  need(Number.isInteger(v.round_timeout_s) && (v.round_timeout_s as number) > 0, 'round_timeout_s');
  need(Number.isInteger(v.n_steps_total) && (v.n_steps_total as number) > 0, 'n_steps_total');
  need(v.participants_wanted === null || (isStringList(v.participants_wanted) && v.participants_wanted.every(isValidHandle)), 'participants_wanted');
  need(
    v.issues === null ||
      (Array.isArray(v.issues) &&
        v.issues.every((i) => isObject(i) && typeof i.key === 'string' && isStringList(i.options) && i.options.length >= 1)),
    'issues',
  );
  need(v.issues_source === null || v.issues_source === 'explicit' || v.issues_source === 'positions' || v.issues_source === 'llm', 'issues_source');
  need(v.derived_prefer === undefined || (isObject(v.derived_prefer) && Object.values(v.derived_prefer).every((r) => isObject(r) && Object.values(r).every(isStringList))), 'derived_prefer');
  need(
    v.llm_tasks === undefined ||
      (isObject(v.llm_tasks) &&
        isOffer(v.llm_tasks.outcome) &&
        Array.isArray(v.llm_tasks.tasks) &&
        v.llm_tasks.tasks.every((t) => isObject(t) && typeof t.text === 'string' && isStringList(t.owners))),
    'llm_tasks',
  );
  need(isStringList(v.participants) && v.participants.every(isValidHandle), 'participants');
  need(Number.isInteger(v.round) && (v.round as number) >= 0, 'round');
  need(v.round_started_at === null || isTime(v.round_started_at), 'round_started_at');
  need(v.round_deadline === null || isTime(v.round_deadline), 'round_deadline');
  need(v.standing_offer === null || isOffer(v.standing_offer), 'standing_offer');
  need(v.offer_source === null || v.offer_source === 'candidate' || v.offer_source === 'counter', 'offer_source');
  need(v.proposer_id === null || (typeof v.proposer_id === 'string' && isValidHandle(v.proposer_id)), 'proposer_id');
  need(Array.isArray(v.rejected) && v.rejected.every(isOffer), 'rejected');
  need(typeof v.prior_round_outcome === 'string', 'prior_round_outcome');
  need(Number.isInteger(v.grid_size), 'grid_size');
  need(typeof v.grid_cut === 'boolean', 'grid_cut');
  need(isStringList(v.notes), 'notes');
  need(v.reason === null || typeof v.reason === 'string', 'reason');
  const session = v as unknown as Session;
  if (session.state === 'active') {
    need(session.issues !== null && session.standing_offer !== null && session.round >= 1 && session.round_deadline !== null, 'state');
    need(session.participants.length >= 2 && session.proposer_id !== null && session.participants.includes(session.proposer_id), 'proposer_id');
    for (const issue of session.issues ?? []) need(issue.options.includes((session.standing_offer as Offer)[issue.key]), 'standing_offer');
  }
  return session;
}

export function readPosition(memory: Memory, handle: string): Position {
  const v = body(memory);
  const ok =
    v.handle === handle &&
    typeof v.message === 'string' &&
    isObject(v.prefer) &&
    Object.values(v.prefer).every(isStringList) &&
    isObject(v.weight) &&
    Object.values(v.weight).every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0) &&
    isObject(v.limits) &&
    Object.values(v.limits).every(isStringList) &&
    isTime(v.joined_at);
  if (!ok) throw corrupt(memory, 'a position needs handle, message, prefer, weight, limits and joined_at');
  return v as unknown as Position;
}

export function readReply(memory: Memory, handle: string, round: number): Reply {
  const v = body(memory);
  const actions: ReplyAction[] = ['accept', 'reject', 'end', 'propose'];
  const ok =
    v.handle === handle &&
    v.round === round &&
    actions.includes(v.action as ReplyAction) &&
    (v.action !== 'propose' || isOffer(v.offer)) &&
    isTime(v.at);
  if (!ok) throw corrupt(memory, `a reply needs handle '${handle}', round ${round}, an action and its offer`);
  return v as unknown as Reply;
}

export function readConsensus(memory: Memory): Consensus {
  const v = body(memory);
  const ok =
    typeof v.session === 'string' &&
    typeof v.broken === 'boolean' &&
    (v.outcome === null || isOffer(v.outcome)) &&
    isStringList(v.plan) &&
    isObject(v.assignments) &&
    isStringList(v.participants);
  if (!ok) throw corrupt(memory, 'a consensus needs session, broken, outcome, plan and assignments');
  return v as unknown as Consensus;
}
