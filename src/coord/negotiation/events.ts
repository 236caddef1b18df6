/**
 * What an agent sees (issue 14): the one JSON line `session await` prints. A tick when the agent owes
 * a reply in the current round, the consensus when the session has ended (again, `replayed: true`,
 * after the first time it was delivered), an error line the agent can act on, or a timeout.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, MemoryNotFoundError, MyceliumError, NegotiationInputError, SessionNotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import { type Offer, readReply, replyKey } from './format.js';
import { proposerOf } from './mediator.js';
import { type NegotiationDeps, type SessionFiles, advance, loadSession, readConsensusFile, sessionOf } from './store.js';

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

export interface ErrorEvent {
  type: 'error';
  error: string;
  instruction: string;
  valid_keys?: string[];
}

export interface TimeoutEvent {
  type: 'timeout';
  seconds: number;
}

export type NegotiationEvent = TickEvent | ConsensusEvent | ErrorEvent | TimeoutEvent;

/** An error as the line an agent reads: what went wrong, what to do, and the keys that would count. */
export function errorEvent(err: MyceliumError): ErrorEvent {
  const valid = err instanceof NegotiationInputError ? err.validKeys : undefined;
  return { type: 'error', error: err.code, instruction: err.message, ...(valid ? { valid_keys: valid } : {}) };
}

/** Where the first delivery of a consensus to a handle is remembered: outside the room (no commits). */
function deliveredPath(room: Room, id: string, handle: string): string {
  return join(room.home, 'cursors', room.name, 'sessions', id, `${handle}.json`);
}

export function tickFor(files: SessionFiles, handle: string, lastAction: string | null, planOpenTasks: number): TickEvent {
  const s = files.session;
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

async function lastActionOf(room: Room, files: SessionFiles, handle: string): Promise<string | null> {
  const round = files.session.round - 1;
  if (round < 1) return null;
  try {
    return readReply(await room.get(replyKey(files.session.id, round, handle)), handle, round).action;
  } catch (err) {
    if (err instanceof MemoryNotFoundError) return null;
    throw err;
  }
}

/**
 * What the handle should see now, after letting the mediator step: undefined while there is
 * nothing for it to do (it has replied, or the session is still gathering participants).
 */
export async function eventNow(room: Room, handleInput: string, deps: NegotiationDeps): Promise<NegotiationEvent | undefined> {
  const handle = validateHandle(handleInput);
  const id = await sessionOf(room, handle);
  if (id === undefined) {
    return errorEvent(new SessionNotFoundError(`'${handle}' is in no session in room '${room.name}'; join one with \`mycelium session join -m "..."\``));
  }
  try {
    await advance(room, id, deps);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err; // the lock is busy: another process is stepping
  }
  const files = await loadSession(room, id);
  const s = files.session;
  const now = (deps.now ?? (() => new Date()))();
  if (s.state === 'concluded') {
    const consensus = await readConsensusFile(room, id);
    const path = deliveredPath(room, id, handle);
    const seen = await readFile(path, 'utf8').then(() => true, () => false);
    if (!seen) await writeFileAtomic(path, `${JSON.stringify({ delivered_at: now.toISOString() })}\n`);
    return {
      type: 'consensus',
      session: id,
      plan: consensus?.plan ?? [],
      plan_file: consensus?.plan_file ?? null,
      assignments: consensus?.assignments ?? {},
      broken: consensus?.broken ?? true,
      outcome: consensus?.outcome ?? null,
      reason: consensus?.reason ?? s.reason,
      ...(seen ? { replayed: true as const } : {}),
    };
  }
  if (s.state === 'joining') {
    if (!s.participants_wanted && files.positions.length < 2 && now.getTime() >= Date.parse(s.join_deadline)) {
      return errorEvent(
        new NegotiationInputError(
          `session ${id} has only ${files.positions.map((p) => p.handle).join(', ')}; a negotiation needs at least two participants: ask another agent to run \`mycelium session join\``,
          undefined,
          'needs_two_participants',
        ),
      );
    }
    return undefined;
  }
  if (!s.participants.includes(handle)) {
    return errorEvent(new SessionNotFoundError(`'${handle}' is not a participant of session ${id} (${s.participants.join(', ')})`));
  }
  if (files.replies.some((r) => r.handle === handle)) return undefined;
  return tickFor(files, handle, await lastActionOf(room, files, handle), await deps.plan.openTasks(room));
}

export interface AwaitOptions {
  timeoutS: number;
  /** How often the files are looked at (ms). */
  pollMs?: number;
  signal?: AbortSignal;
}

/** Waits for the handle's next event; a timeout event when none comes in time. */
export async function awaitEvent(room: Room, handle: string, deps: NegotiationDeps, options: AwaitOptions): Promise<NegotiationEvent> {
  const until = Date.now() + options.timeoutS * 1000;
  const poll = options.pollMs ?? 25;
  for (;;) {
    const event = await eventNow(room, handle, deps);
    if (event) return event;
    if (Date.now() >= until || options.signal?.aborted) return { type: 'timeout', seconds: options.timeoutS };
    await new Promise((resolve) => setTimeout(resolve, Math.min(poll, Math.max(1, until - Date.now()))));
  }
}
