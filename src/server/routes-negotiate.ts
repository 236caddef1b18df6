import type { FastifyInstance, FastifyReply } from 'fastify';
import { MyceliumError, errorReply } from '../errors.js';
import { validateHandle } from '../coord/handle.js';
import { awaitEvent, errorEvent } from '../coord/negotiation/events.js';
import { defaultPlanPort } from '../coord/negotiation/plan-choice.js';
import { answerTick } from '../coord/negotiation/auto-reply.js';
import { joinFromJson, openFromJson, parseAwaitTimeout, parseRespond, parseStrategy, proposalFromJson } from '../coord/negotiation/schema.js';
import { sessionStatus } from '../coord/negotiation/status.js';
import { type NegotiationDeps, joinSession, openNegotiation, replyToRound } from '../coord/negotiation/store.js';
import { llmForHome } from '../coord/llm.js';
import { Room } from '../room.js';
import type { ServerContext } from './app.js';
import { handleOf, objectBody } from './request.js';

type RoomParams = { room: string };
/** The longest one await request waits before answering `{"type":"timeout"}`; agents ask again. */
const MAX_AWAIT_S = 60;
/** The plan and config.toml's `[llm]` (the server reads no MYCELIUM_LLM_* of its own). */
export const depsFor = (home: string): NegotiationDeps => ({ plan: defaultPlanPort, llm: llmForHome(home) });

/** Errors reach agents as the same error line the CLI prints, with an HTTP status for the kind. */
async function agentLine(reply: FastifyReply, body: () => Promise<unknown>): Promise<unknown> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof MyceliumError)) throw err;
    return reply.code(errorReply(err).status).send(errorEvent(err));
  }
}

/**
 * The negotiation over HTTP (issue 14), for agents on other machines: POST .../session/join,
 * GET .../session/await (long poll, at most 60 s), POST .../negotiate/open|propose|respond,
 * GET .../negotiate/status, POST .../negotiate/auto (one answer decided from the handle's
 * preferences, for `negotiate auto` in a clone). The handle is the X-Mycelium-Handle header. Bodies are JSON.
 */
export function registerNegotiateRoutes(app: FastifyInstance, { home, openRoom }: ServerContext): void {
  const who = (request: Parameters<typeof handleOf>[0]) => validateHandle(handleOf(request));

  app.post<{ Params: RoomParams }>('/rooms/:room/session/join', async (request, reply) =>
    agentLine(reply, async () => {
      const room = await openRoom(request.params.room);
      return joinSession(room, who(request), joinFromJson(objectBody(request.body ?? {})), depsFor(home));
    }),
  );

  app.get<{ Params: RoomParams; Querystring: { timeout?: string } }>('/rooms/:room/session/await', async (request, reply) =>
    agentLine(reply, async () => {
      const room = await openRoom(request.params.room);
      const timeoutS = Math.min(MAX_AWAIT_S, parseAwaitTimeout(request.query.timeout ?? '30'));
      const closed = new AbortController();
      request.raw.once('close', () => closed.abort());
      return awaitEvent(room, who(request), depsFor(home), { timeoutS, signal: closed.signal });
    }),
  );

  app.post<{ Params: RoomParams }>('/rooms/:room/negotiate/open', async (request, reply) =>
    agentLine(reply, async () => {
      const room = await openRoom(request.params.room);
      const session = await openNegotiation(room, who(request), openFromJson(objectBody(request.body ?? {})), depsFor(home));
      return sessionStatus(room, session.id);
    }),
  );

  app.post<{ Params: RoomParams }>('/rooms/:room/negotiate/propose', async (request, reply) =>
    agentLine(reply, async () => {
      const room = await openRoom(request.params.room);
      return replyToRound(room, who(request), { action: 'propose', proposal: proposalFromJson(objectBody(request.body)) }, depsFor(home));
    }),
  );

  app.post<{ Params: RoomParams }>('/rooms/:room/negotiate/respond', async (request, reply) =>
    agentLine(reply, async () => {
      const room = await openRoom(request.params.room);
      const answer = objectBody(request.body).answer;
      return replyToRound(room, who(request), { action: parseRespond(typeof answer === 'string' ? answer : undefined) }, depsFor(home));
    }),
  );

  // `negotiate auto` for a CLI whose room is a clone of this server's: one answer to the handle's
  // current round, decided from its stated preferences here, where the session files are.
  app.post<{ Params: RoomParams }>('/rooms/:room/negotiate/auto', async (request, reply) =>
    agentLine(reply, async () => {
      const room = await openRoom(request.params.room);
      const body = objectBody(request.body ?? {});
      const strategy = parseStrategy(typeof body.strategy === 'string' ? body.strategy : undefined);
      const round = typeof body.round === 'number' && Number.isInteger(body.round) ? body.round : undefined;
      return { answered: (await answerTick(room, who(request), strategy, depsFor(home), round)) ?? null };
    }),
  );

  app.get<{ Params: RoomParams; Querystring: { session?: string } }>('/rooms/:room/negotiate/status', async (request, reply) =>
    agentLine(reply, async () => {
      const room = await openRoom(request.params.room);
      const header = request.headers['x-mycelium-handle'];
      return sessionStatus(room, request.query.session || undefined, typeof header === 'string' ? validateHandle(header) : undefined);
    }),
  );
}
