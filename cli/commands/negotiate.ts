import { MyceliumError, NegotiationInputError, SessionConflictError, SessionNotFoundError } from '../../src/errors.js';
import { answerTick } from '../../src/coord/negotiation/auto-reply.js';
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
import { type SessionStatus, sessionStatus } from '../../src/coord/negotiation/status.js';
import { type NegotiationDeps, type ReplyResult, joinSession, openNegotiation, replyToRound } from '../../src/coord/negotiation/store.js';
import { llmForHome } from '../../src/coord/llm.js';
import type { Room } from '../../src/room.js';
import { openRoom } from '../context.js';
import { printJson, printLine, type CommonOptions } from '../output.js';
import { remoteNegotiation } from './negotiate-remote.js';

type Flags = CommonOptions & { token?: string };

/** The server's negotiation when the room was cloned from one (it is the authority), else undefined. */
const serverOf = (home: string, room: string, options: Flags) => remoteNegotiation(home, room, options.token ?? process.env.MYCELIUM_TOKEN);

/** The plan, and the `[llm]` of config.toml (MYCELIUM_LLM_* override it), for the mediator steps this process applies. */
const deps = (home: string): NegotiationDeps => ({ plan: defaultPlanPort, llm: llmForHome(home, process.env) });

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

export async function sessionJoin(options: Flags & { message?: string; prefer?: string[]; weight?: string[]; limit?: string[] }): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const input = parseJoin({ message: options.message, prefer: options.prefer, weight: options.weight, limit: options.limit });
    const server = await serverOf(context.home, room.name, options);
    const body = { message: options.message, prefer: options.prefer, weight: options.weight, limit: options.limit };
    const result = server
      ? ((await server.call('POST', '/session/join', context.handle, body)) as { session: string; joined: boolean })
      : await joinSession(room, context.handle, input, deps(context.home));
    if (options.json) return printJson(result);
    printLine(`${result.joined ? 'joined' : 'already in'} session ${result.session} as ${context.handle}; wait for your turn with \`mycelium session await\``);
  });
}

export async function sessionAwait(options: Flags & { timeout?: string }): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const timeoutS = parseAwaitTimeout(options.timeout);
    const server = await serverOf(context.home, room.name, options);
    const event = server ? await server.awaitEvent(context.handle, timeoutS) : await awaitEvent(room, context.handle, deps(context.home), { timeoutS });
    printEvent(event);
    process.exitCode = exitCodeOf(event);
  });
}

export async function negotiateOpen(
  options: Flags & { issue?: string[]; rounds?: string; joinWindow?: string; roundTimeout?: string; participants?: string },
): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const open = parseOpen(options);
    const server = await serverOf(context.home, room.name, options);
    if (server) {
      const body = { issues: options.issue, rounds: options.rounds, join_window: options.joinWindow, round_timeout: options.roundTimeout, participants: open.participants ?? undefined };
      const status = (await server.call('POST', '/negotiate/open', context.handle, body)) as unknown as SessionStatus;
      if (options.json) return printJson(status);
      const issues = status.issues.map((i) => `${i.key}=${i.options.join(',')}`).join(' ');
      return printLine(`session ${status.session} open (${status.state}) on ${server.url}: ${issues || 'issues from what joiners --prefer'}; ${status.n_steps_total} rounds`);
    }
    const session = await openNegotiation(room, context.handle, open, deps(context.home));
    if (options.json) return printJson(await sessionStatus(room, session.id));
    const issues = (session.issues ?? []).map((i) => `${i.key}=${i.options.join(',')}`).join(' ');
    printLine(`session ${session.id} open (${session.state}): ${issues || 'issues from what joiners --prefer'}; ${session.n_steps_total} rounds`);
  });
}

export async function negotiatePropose(offer: string[], options: Flags): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const proposal = parseProposal(offer);
    const server = await serverOf(context.home, room.name, options);
    const result = server
      ? ((await server.call('POST', '/negotiate/propose', context.handle, { offer: proposal })) as unknown as ReplyResult)
      : await replyToRound(room, context.handle, { action: 'propose', proposal }, deps(context.home));
    if (options.json) return printJson(result);
    printLine(`proposed ${Object.entries(result.offer ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')} in round ${result.round}`);
  });
}

export async function negotiateRespond(answer: string, options: Flags): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const action = parseRespond(answer);
    const server = await serverOf(context.home, room.name, options);
    const result = server
      ? ((await server.call('POST', '/negotiate/respond', context.handle, { answer: action })) as unknown as ReplyResult)
      : await replyToRound(room, context.handle, { action }, deps(context.home));
    if (options.json) return printJson(result);
    printLine(`${result.action} in round ${result.round} of session ${result.session}`);
  });
}

export async function negotiateStatus(options: Flags & { session?: string }): Promise<void> {
  const { context, room } = await openRoom(options);
  const server = await serverOf(context.home, room.name, options);
  const query = options.session ? `?session=${encodeURIComponent(options.session)}` : '';
  const status = server
    ? ((await server.call('GET', `/negotiate/status${query}`, context.handle)) as unknown as SessionStatus)
    : await sessionStatus(room, options.session, context.handle);
  if (options.json) return printJson(status);
  printLine(`session ${status.session}: ${status.state}, round ${status.round} of ${status.n_steps_total}${status.reason ? ` (${status.reason})` : ''}`);
  for (const issue of status.issues) printLine(`  ${issue.key} = ${issue.standing ?? '-'}   options: ${issue.options.join(', ')}`);
  printLine(`  participants: ${status.participants.join(', ') || '(joining)'}; proposer: ${status.proposer_id ?? '-'}`);
  printLine(`  replied: ${status.replied.join(', ') || '-'}; waiting for: ${status.waiting_for.join(', ') || '-'}`);
}

async function autoLoop(room: Room, handle: string, strategy: ReturnType<typeof parseStrategy>, timeoutS: number): Promise<NegotiationEvent> {
  const stepDeps = deps(room.home);
  for (;;) {
    const event = await awaitEvent(room, handle, stepDeps, { timeoutS });
    if (event.type !== 'tick') return event;
    await answerTick(room, handle, strategy, stepDeps, event.round);
  }
}

export async function negotiateAuto(options: Flags & { strategy?: string; timeout?: string }): Promise<void> {
  const { context, room } = await openRoom(options);
  await asAgentLine(async () => {
    const strategy = parseStrategy(options.strategy);
    const timeoutS = options.timeout === undefined ? 600 : parseAwaitTimeout(options.timeout);
    const server = await serverOf(context.home, room.name, options);
    const event = server ? await server.auto(context.handle, strategy, timeoutS) : await autoLoop(room, context.handle, strategy, timeoutS);
    printEvent(event);
    process.exitCode = exitCodeOf(event);
  });
}
