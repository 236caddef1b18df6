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
import { type ChangeWaker, changeWaker } from '../change-waker.js';
import { SESSIONS_PREFIX, type Session } from './format.js';

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
  return (await lookNow(room, handleInput, deps)).event;
}

/** eventNow, and when the files next change by time alone (a join window or a round timeout ends). */
async function lookNow(room: Room, handleInput: string, deps: NegotiationDeps): Promise<{ event?: NegotiationEvent; wakeAt?: number }> {
  const found = await eventOrSession(room, handleInput, deps);
  if ('type' in found) return { event: found };
  const deadline = found.state === 'joining' ? found.join_deadline : found.state === 'active' ? found.round_deadline : null;
  return deadline ? { wakeAt: Date.parse(deadline) } : {};
}

/** The event, or (when the handle has nothing to do now) the session it is waiting in. */
async function eventOrSession(room: Room, handleInput: string, deps: NegotiationDeps): Promise<NegotiationEvent | Session> {
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
    return s;
  }
  if (!s.participants.includes(handle)) {
    return errorEvent(new SessionNotFoundError(`'${handle}' is not a participant of session ${id} (${s.participants.join(', ')})`));
  }
  if (files.replies.some((r) => r.handle === handle)) return s;
  return tickFor(s, handle, await lastActionOf(room, s, handle), await deps.plan.openTasks(room));
}

export interface AwaitOptions {
  timeoutS: number;
  /** The slow poll behind the change events (ms, default 1000): a missed event costs at most this. */
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Waits for the handle's next event; a timeout event when none comes in time. It sleeps until a
 * change under sessions/ (the subscription `mycelium await` uses), the session's next deadline (a
 * join window or round timeout: this process then steps the session), or the slow poll, whichever
 * comes first. The session's own messages at the head of the handle's inbox that the event covers
 * are marked read (announce.ts).
 */
export async function awaitEvent(room: Room, handle: string, deps: NegotiationDeps, options: AwaitOptions): Promise<NegotiationEvent> {
  const until = Date.now() + options.timeoutS * 1000;
  const poll = options.pollMs ?? 1000;
  let waker: ChangeWaker | undefined;
  try {
    for (;;) {
      const { event, wakeAt } = await lookNow(room, handle, deps);
      if (event?.type === 'tick' || event?.type === 'consensus') await markSessionMessagesRead(room, validateHandle(handle), event);
      if (event) return event;
      if (Date.now() >= until || options.signal?.aborted) return { type: 'timeout', seconds: options.timeoutS };
      if (!waker) {
        // Started only when there is something to wait for; once it is live, look again (a change
        // between the first look and the subscription is not missed).
        // Session files are written by atomic rename only: a raw event is a whole file, no need to let it settle.
        waker = changeWaker(room, `${SESSIONS_PREFIX}**`, { signal: options.signal, debounceMs: 2 });
        await waker.ready;
        continue;
      }
      const now = Date.now();
      await waker.sleep(Math.max(1, Math.min(poll, until - now, wakeAt === undefined ? Infinity : wakeAt - now + 1)));
    }
  } finally {
    await waker?.close();
  }
}
