/**
 * What an agent sees (issue 14): the one JSON line `session await` prints. A tick when the agent owes
 * a reply in the current round, the consensus when the session has ended (again, `replayed: true`,
 * after the first time it was delivered), an error line the agent can act on, or a timeout.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MyceliumError, NegotiationInputError, SessionNotFoundError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import { markSessionMessagesRead } from './announce.js';
import { type NegotiationDeps, advanceIfFree, loadSession, readConsensusFile, sessionOf } from './store.js';
import { type ConsensusEvent, type TickEvent, consensusEventOf, lastActionOf, tickFor } from './ticks.js';
import { sessionCursorsDir } from '../../home-paths.js';

export type { ConsensusEvent, TickEvent } from './ticks.js';

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
  return join(sessionCursorsDir(room.home, room.name, id), `${handle}.json`);
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
  await advanceIfFree(room, id, deps); // a busy lock: another process is stepping
  const files = await loadSession(room, id);
  const s = files.session;
  const now = (deps.now ?? (() => new Date()))();
  if (s.state === 'concluded') {
    const consensus = await readConsensusFile(room, id);
    const path = deliveredPath(room, id, handle);
    const seen = await readFile(path, 'utf8').then(() => true, () => false);
    if (!seen) await writeFileAtomic(path, `${JSON.stringify({ delivered_at: now.toISOString() })}\n`);
    return { ...consensusEventOf(s, consensus), ...(seen ? { replayed: true as const } : {}) };
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
  return tickFor(s, handle, await lastActionOf(room, s, handle), await deps.plan.openTasks(room));
}

export interface AwaitOptions {
  timeoutS: number;
  /** How often the files are looked at (ms). */
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Waits for the handle's next event; a timeout event when none comes in time. The session's own
 * messages at the head of the handle's inbox that the event covers are marked read (announce.ts).
 */
export async function awaitEvent(room: Room, handle: string, deps: NegotiationDeps, options: AwaitOptions): Promise<NegotiationEvent> {
  const until = Date.now() + options.timeoutS * 1000;
  const poll = options.pollMs ?? 25;
  for (;;) {
    const event = await eventNow(room, handle, deps);
    if (event?.type === 'tick' || event?.type === 'consensus') await markSessionMessagesRead(room, validateHandle(handle), event);
    if (event) return event;
    if (Date.now() >= until || options.signal?.aborted) return { type: 'timeout', seconds: options.timeoutS };
    await new Promise((resolve) => setTimeout(resolve, Math.min(poll, Math.max(1, until - Date.now()))));
  }
}
