/**
 * One answer of `negotiate auto` (issue 14): the handle's reply to the current round, decided from
 * its stated preferences (`decide`). Shared by the CLI's local loop and the server's
 * `POST /rooms/:room/negotiate/auto`, which a CLI uses for a room cloned from that server.
 */
import { NegotiationInputError, SessionConflictError, SessionNotFoundError } from '../../errors.js';
import { validateHandle } from '../handle.js';
import type { Room } from '../../room.js';
import { decide } from './auto.js';
import type { Strategy } from './schema.js';
import { type NegotiationDeps, type ReplyResult, loadSession, replyToRound, sessionOf } from './store.js';

/**
 * Answers the handle's current round, or returns undefined when there is nothing to answer: no
 * session, not running, already replied, or someone stepped the round meanwhile (the caller then
 * waits for the next tick). `round`, when given, is the tick being answered: a later round is left
 * for its own tick.
 */
export async function answerTick(room: Room, handleInput: string, strategy: Strategy, deps: NegotiationDeps, round?: number): Promise<ReplyResult | undefined> {
  const handle = validateHandle(handleInput);
  const id = await sessionOf(room, handle);
  if (id === undefined) return undefined;
  const files = await loadSession(room, id);
  const s = files.session;
  if (s.state !== 'active' || (round !== undefined && s.round !== round) || files.replies.some((r) => r.handle === handle)) return undefined;
  const decision = decide(s, files.positions, handle, strategy);
  try {
    return await replyToRound(room, handle, decision.action === 'propose' ? { action: 'propose', proposal: decision.offer } : decision, deps);
  } catch (err) {
    // Someone stepped the round meanwhile, or our reply is already there (a restart): look again later.
    if (err instanceof SessionConflictError || err instanceof SessionNotFoundError) return undefined;
    if (err instanceof NegotiationInputError && err.code === 'not_your_turn') return undefined;
    throw err;
  }
}
