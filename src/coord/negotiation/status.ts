/**
 * `negotiate status` (issue 14): a read-only view of one session — its round, each issue's standing
 * value and options, who has replied and who is awaited, active or concluded.
 */
import { SessionNotFoundError } from '../../errors.js';
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import { SESSION_ID } from './format.js';
import { loadSession, readConsensusFile, sessionIds, sessionOf } from './store.js';

export interface SessionStatus {
  session: string;
  state: 'joining' | 'active' | 'concluded';
  round: number;
  n_steps_total: number;
  issues: { key: string; options: string[]; standing: string | null }[];
  participants: string[];
  joined: string[];
  proposer_id: string | null;
  replied: string[];
  waiting_for: string[];
  round_deadline: string | null;
  prior_round_outcome: string;
  broken: boolean | null;
  reason: string | null;
  plan_file: string | null;
  notes: string[];
}

export async function sessionStatus(room: Room, idInput?: string, handle?: string): Promise<SessionStatus> {
  let id = idInput;
  if (id !== undefined && !SESSION_ID.test(id)) throw new SessionNotFoundError(`'${id}' is not a session id (like 20261203-081500123-ab12); run \`mycelium negotiate status\``);
  id ??= (handle ? await sessionOf(room, validateHandle(handle)) : undefined) ?? (await sessionIds(room)).at(-1);
  if (id === undefined) throw new SessionNotFoundError(`no negotiation session in room '${room.name}'; start one with \`mycelium session join\``);
  const { session: s, positions, replies } = await loadSession(room, id);
  const consensus = s.state === 'concluded' ? await readConsensusFile(room, id) : undefined;
  const replied = replies.map((r) => r.handle);
  return {
    session: id,
    state: s.state,
    round: s.round,
    n_steps_total: s.n_steps_total,
    issues: (s.issues ?? []).map((i) => ({ key: i.key, options: i.options, standing: s.standing_offer?.[i.key] ?? null })),
    participants: s.participants,
    joined: positions.map((p) => p.handle),
    proposer_id: s.proposer_id,
    replied: s.state === 'active' ? replied : [],
    waiting_for: s.state === 'active' ? s.participants.filter((h) => !replied.includes(h)) : [],
    round_deadline: s.round_deadline,
    prior_round_outcome: s.prior_round_outcome,
    broken: consensus ? consensus.broken : null,
    reason: s.reason,
    plan_file: consensus?.plan_file ?? null,
    notes: s.notes,
  };
}
