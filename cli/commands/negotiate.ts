import { MyceliumError, NegotiationInputError, SessionConflictError, SessionNotFoundError } from '../../src/errors.js';
import { decide } from '../../src/coord/negotiation/auto.js';
import { type NegotiationEvent, awaitEvent, errorEvent } from '../../src/coord/negotiation/events.js';
import { defaultPlanPort } from '../../src/coord/negotiation/plan-choice.js';
import {
  parseAwaitTimeout,
  parseJoin,
  parseOpen,
  parseProposal,
  parseRespond,
  parseStrategy,
} from '../../src/coord/negotiation/schema.js';
import { sessionStatus } from '../../src/coord/negotiation/status.js';
import { joinSession, loadSession, openNegotiation, replyToRound } from '../../src/coord/negotiation/store.js';
import type { Room } from '../../src/room.js';
import { openRoom } from '../context.js';
import { printJson, printLine, type CommonOptions } from '../output.js';

const deps = () => ({ plan: defaultPlanPort });

function printEvent(event: NegotiationEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** Exit code of an event: 0 for ticks and consensus, 1 for a timeout or no session, else the error's. */
function exitCodeOf(event: NegotiationEvent): number {
  if (event.type === 'tick' || event.type === 'consensus') return 0;
  if (event.type === 'timeout') return 1;
  return event.error === 'no_session' ? 1 : 2;
}

/** Refused offers and replies are printed as the error line agents read, as well as on stderr. */
async function asAgentLine(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (err instanceof MyceliumError) printEvent(errorEvent(err));
    throw err;
  }
}

export async function sessionJoin(options: CommonOptions & { message?: string; prefer?: string[]; weight?: string[]; limit?: string[] }): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const input = parseJoin({ message: options.message, prefer: options.prefer, weight: options.weight, limit: options.limit });
    const result = await joinSession(room, context.handle, input, deps());
    if (options.json) return printJson(result);
    printLine(`${result.joined ? 'joined' : 'already in'} session ${result.session} as ${context.handle}; wait for your turn with \`mycelium session await\``);
  });
}

export async function sessionAwait(options: CommonOptions & { timeout?: string }): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const event = await awaitEvent(room, context.handle, deps(), { timeoutS: parseAwaitTimeout(options.timeout) });
    printEvent(event);
    process.exitCode = exitCodeOf(event);
  });
}

export async function negotiateOpen(
  options: CommonOptions & { issue?: string[]; rounds?: string; joinWindow?: string; roundTimeout?: string; participants?: string },
): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const open = parseOpen(options);
    const session = await openNegotiation(room, context.handle, open, deps());
    if (options.json) return printJson(await sessionStatus(room, session.id));
    const issues = (session.issues ?? []).map((i) => `${i.key}=${i.options.join(',')}`).join(' ');
    printLine(`session ${session.id} open (${session.state}): ${issues || 'issues from what joiners --prefer'}; ${session.n_steps_total} rounds`);
  });
}

export async function negotiatePropose(offer: string[], options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const result = await replyToRound(room, context.handle, { action: 'propose', proposal: parseProposal(offer) }, deps());
    if (options.json) return printJson(result);
    printLine(`proposed ${Object.entries(result.offer ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')} in round ${result.round}`);
  });
}

export async function negotiateRespond(answer: string, options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const result = await replyToRound(room, context.handle, { action: parseRespond(answer) }, deps());
    if (options.json) return printJson(result);
    printLine(`${result.action} in round ${result.round} of session ${result.session}`);
  });
}

export async function negotiateStatus(options: CommonOptions & { session?: string }): Promise<void> {
  const { context, room } = await openRoom(options);
  const status = await sessionStatus(room, options.session, context.handle);
  if (options.json) return printJson(status);
  printLine(`session ${status.session}: ${status.state}, round ${status.round} of ${status.n_steps_total}${status.reason ? ` (${status.reason})` : ''}`);
  for (const issue of status.issues) printLine(`  ${issue.key} = ${issue.standing ?? '-'}   options: ${issue.options.join(', ')}`);
  printLine(`  participants: ${status.participants.join(', ') || '(joining)'}; proposer: ${status.proposer_id ?? '-'}`);
  printLine(`  replied: ${status.replied.join(', ') || '-'}; waiting for: ${status.waiting_for.join(', ') || '-'}`);
}

async function autoLoop(room: Room, handle: string, strategy: ReturnType<typeof parseStrategy>, timeoutS: number): Promise<NegotiationEvent> {
  for (;;) {
    const event = await awaitEvent(room, handle, deps(), { timeoutS });
    if (event.type !== 'tick') return event;
    const files = await loadSession(room, event.session);
    if (files.session.round !== event.round || files.replies.some((r) => r.handle === handle)) continue;
    const decision = decide(files.session, files.positions, handle, strategy);
    try {
      await replyToRound(room, handle, decision.action === 'propose' ? { action: 'propose', proposal: decision.offer } : decision, deps());
    } catch (err) {
      // Someone stepped the round meanwhile, or our reply is already there (a restart): look again.
      if (err instanceof SessionConflictError || err instanceof SessionNotFoundError) continue;
      if (err instanceof NegotiationInputError && err.code === 'not_your_turn') continue;
      throw err;
    }
  }
}

export async function negotiateAuto(options: CommonOptions & { strategy?: string; timeout?: string }): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const strategy = parseStrategy(options.strategy);
    const timeoutS = options.timeout === undefined ? 600 : parseAwaitTimeout(options.timeout);
    const event = await autoLoop(room, context.handle, strategy, timeoutS);
    printEvent(event);
    process.exitCode = exitCodeOf(event);
  });
}
