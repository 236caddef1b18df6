import type { Message } from '../messages/format.js';
import type { ConsensusEvent, TickEvent } from './ticks.js';

/**
 * How a message from the mediator is told apart: its sender and the session it refers to, and the
 * event on its text's last line. Its own small file so a reader of messages (the digest, on a hook's
 * start) can tell ticks apart without loading the mediator that makes them (announce.ts sends them).
 */

/** The sender of every negotiation message. */
export const MEDIATOR_HANDLE = 'mediator';

/** The tick or consensus a negotiation message carries (its text's last line), or undefined for any other message. */
export function eventOfMessage(message: Pick<Message, 'from' | 'ref' | 'text'>): TickEvent | ConsensusEvent | undefined {
  if (message.from !== MEDIATOR_HANDLE || !message.ref?.startsWith('sessions/')) return undefined;
  try {
    const line = JSON.parse(message.text.trim().split('\n').at(-1) ?? '') as { type?: unknown };
    return line.type === 'tick' || line.type === 'consensus' ? (line as TickEvent | ConsensusEvent) : undefined;
  } catch {
    return undefined;
  }
}
