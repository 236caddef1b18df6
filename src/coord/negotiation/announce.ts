/**
 * Ticks and the consensus as messages (issue 14 over issue 12's messages). Each time the mediator
 * opens a round it sends every participant that still owes a reply one message with its tick, and
 * when the session ends one message to all of them with the consensus; so `mycelium await` (and
 * its `--loop --exec` resident loop), `inbox` and `digest` see the negotiation like any message.
 *
 * A tick message is from `mediator`, `to` the participant, kind `say`, `ref` the session file
 * (`sessions/<id>/session`); its text is one human line, a blank line, and the very JSON line
 * `session await` prints (the last line of the text).
 *
 * Order and faults: session.md is written first, then the messages, then a marker outside the room
 * (`$MYCELIUM_HOME/cursors/<room>/sessions/<id>/.announced.json`, the stage announced). Every look
 * at the session compares the marker with session.md, so a process killed between session.md and
 * its messages leaves them to the next process that looks; killed between the messages and the
 * marker, the next one sends them again (at least once, like the resident loop: a duplicate carries
 * the same session and round, and a second reply to a round is refused as a conflict).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../fs-atomic.js';
import type { Room } from '../../room.js';
import type { Message } from '../messages/format.js';
import { readInbox } from '../messages/inbox.js';
import { sendMessage, writeCursor } from '../messages/store.js';
import { type Consensus, type Offer, type Position, type Reply, type Session, sessionKey } from './format.js';
import { type ConsensusEvent, type TickEvent, consensusEventOf, lastActionOf, tickFor } from './ticks.js';
import { sessionCursorsDir } from '../../home-paths.js';
import { MEDIATOR_HANDLE, eventOfMessage } from './message-event.js';

export { MEDIATOR_HANDLE, eventOfMessage } from './message-event.js';

/** What has been announced of a session: a round's ticks or its end. Undefined while it is joining. */
function stageOf(session: Session): string | undefined {
  if (session.state === 'active') return `round-${session.round}`;
  if (session.state === 'concluded') return 'concluded';
  return undefined;
}

function markerPath(room: Room, id: string): string {
  // A leading dot: no handle starts with one, so it never meets a consensus-delivery file.
  return join(sessionCursorsDir(room.home, room.name, id), '.announced.json');
}

/** Whether session.md is at a stage whose messages have not been sent yet. One small read. */
export async function announcementDue(room: Room, session: Session): Promise<boolean> {
  const stage = stageOf(session);
  if (stage === undefined) return false;
  const text = await readFile(markerPath(room, session.id), 'utf8').catch(() => '');
  try {
    return (JSON.parse(text) as { stage?: unknown }).stage !== stage;
  } catch {
    return true; // missing or corrupt: announce (again); at least once
  }
}

const offerText = (offer: Offer | null) =>
  Object.entries(offer ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

function tickText(tick: TickEvent): string {
  const how = tick.can_counter_offer
    ? 'counter with `mycelium negotiate propose ISSUE=VALUE` or answer `mycelium negotiate respond accept|reject`'
    : 'answer with `mycelium negotiate respond accept|reject`';
  return `Negotiation ${tick.session}, round ${tick.round} of ${tick.n_steps_total}: the offer is ${offerText(tick.current_offer)}; ${how}.\n\n${JSON.stringify(tick)}`;
}

function consensusText(event: ConsensusEvent): string {
  const head = event.broken
    ? `Negotiation ${event.session} ended without agreement: ${event.reason ?? 'no reason recorded'}.`
    : `Negotiation ${event.session} agreed: ${offerText(event.outcome)}; ${event.plan.length} task(s) in ${event.plan_file ?? 'the plan'}.`;
  return `${head}\n\n${JSON.stringify(event)}`;
}

export interface AnnounceInput {
  session: Session;
  positions: Position[];
  /** The current round's replies: who has answered already gets no tick. */
  replies: Reply[];
  /** The previous round's replies when the caller has just read them (each tick's `your_last_action`), else they are read. */
  previousReplies?: Reply[];
  /** consensus.md, for a concluded session. */
  consensus?: Consensus;
  planOpenTasks(): Promise<number>;
}

/**
 * Sends the messages of the session's current stage and records that it did. The caller holds the
 * session's lock (so two processes never announce the same stage at once). Returns the messages sent.
 */
export async function announce(room: Room, input: AnnounceInput, now: () => Date): Promise<Message[]> {
  const { session } = input;
  const stage = stageOf(session);
  if (stage === undefined) return [];
  const sent: Message[] = [];
  const ref = sessionKey(session.id);
  if (session.state === 'active') {
    const answered = new Set(input.replies.map((r) => r.handle));
    const open = await input.planOpenTasks();
    // One message per participant (each tick is its own); written side by side, they are separate files.
    const owing = session.participants.filter((h) => !answered.has(h) && h !== MEDIATOR_HANDLE);
    const messages = await Promise.all(
      owing.map(async (handle) => {
        const last = input.previousReplies ? (input.previousReplies.find((r) => r.handle === handle)?.action ?? null) : await lastActionOf(room, session, handle);
        const tick = tickFor(session, handle, last, open);
        return sendMessage(room, { from: MEDIATOR_HANDLE, to: [handle], kind: 'say', ref, text: tickText(tick) }, now);
      }),
    );
    sent.push(...messages);
  } else {
    const to = session.participants.length > 0 ? session.participants : input.positions.map((p) => p.handle);
    const event = consensusEventOf(session, input.consensus);
    if (to.some((h) => h !== MEDIATOR_HANDLE)) {
      sent.push(await sendMessage(room, { from: MEDIATOR_HANDLE, to, kind: 'say', ref, text: consensusText(event) }, now));
    }
  }
  // No fsync: the marker only saves re-sending. Lost (an OS crash before it reached the disk) it
  // reads as missing or corrupt, so the stage is announced again, which the at-least-once delivery
  // above already allows (same session and round; a second reply is refused). session.md, the
  // messages and the replies, which the outcome depends on, stay fsynced.
  await writeFileAtomic(markerPath(room, session.id), `${JSON.stringify({ stage, at: now().toISOString(), messages: sent.map((m) => m.id) })}\n`, { durable: false });
  return sent;
}


/**
 * `session await` is the session's filter of the handle's message stream: having shown the agent
 * `shown` from the files, it marks read the session's messages at the head of the handle's inbox
 * that it has now seen (ticks up to that round, or the consensus), so they do not wait there as
 * stale news. It stops at the first other message: nothing else is ever skipped.
 */
export async function markSessionMessagesRead(room: Room, handle: string, shown: TickEvent | ConsensusEvent): Promise<void> {
  const head = await readInbox(room, handle, { peek: true, limit: 50 });
  let last: string | undefined;
  for (const message of head) {
    const event = eventOfMessage(message);
    if (!event || event.session !== shown.session || message.ref !== sessionKey(shown.session)) break;
    if (shown.type === 'tick' && (event.type !== 'tick' || event.round > shown.round)) break;
    last = message.id;
  }
  if (last) await writeCursor(room, handle, last);
}
