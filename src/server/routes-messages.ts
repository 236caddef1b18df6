import type { FastifyInstance } from 'fastify';
import { isOnline, listAgents, registerAgent } from '../coord/agents.js';
import { validateHandle } from '../coord/handle.js';
import { awaitMessage, awaitPayload } from '../coord/messages/await.js';
import { listMessages, readInbox } from '../coord/messages/inbox.js';
import { MAX_MESSAGES_PAGE, parseAwaitRequest, parseInboxRequest, parseListRequest, parseRegisterRequest, parseSendRequest } from '../coord/messages/schema.js';
import { sendMessage } from '../coord/messages/store.js';
import { Room } from '../room.js';
import type { ServerContext } from './app.js';
import { forwardHttpWrite } from './routes-synthesis.js';
import { handleOf, objectBody } from './request.js';

type RoomParams = { room: string };
type Query = Record<string, string>;

/**
 * Messages and agents over HTTP (issue 12), thin over src/coord with the CLI's schemas. The sender
 * and the registering agent are the X-Mycelium-Handle header. Message events need no route of their
 * own: a message is a file, so it is on the SSE stream and change feed like any memory.
 */
export function registerMessageRoutes(app: FastifyInstance, { home, daemon, openRoom }: ServerContext): void {
  app.post<{ Params: RoomParams }>('/rooms/:room/messages', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const from = validateHandle(handleOf(request));
    const message = await sendMessage(room, { from, ...parseSendRequest(objectBody(request.body)) });
    await daemon.touched(room.name, message.key);
    await forwardHttpWrite(home, room.name, message.key, message.text, from, 'message'); // issue 17: queued only; the daemon delivers
    return reply.code(201).send({ ...message, reached: [...new Set([...message.to, ...message.mentions])] });
  });

  // A page forward, oldest first: pass next_since back as since for the next page.
  app.get<{ Params: RoomParams; Querystring: Query }>('/rooms/:room/messages', async (request) => {
    const room = await openRoom(request.params.room);
    const { limit, ...filters } = parseListRequest(request.query, MAX_MESSAGES_PAGE);
    const size = limit ?? 100;
    const warnings: string[] = [];
    const found = await listMessages(room, { ...filters, first: size + 1 }, warnings);
    const page = found.slice(0, size);
    return { room: room.name, messages: page, next_since: found.length > size ? page[page.length - 1].id : null, ...(warnings.length ? { warnings } : {}) };
  });

  app.get<{ Params: RoomParams & { handle: string }; Querystring: Query }>('/rooms/:room/inbox/:handle', async (request) => {
    const room = await openRoom(request.params.room);
    const warnings: string[] = [];
    const messages = await readInbox(room, request.params.handle, parseInboxRequest(request.query), warnings);
    return { room: room.name, handle: validateHandle(request.params.handle), messages, ...(warnings.length ? { warnings } : {}) };
  });

  // Long poll: the next unread message for the handle, or {type: "timeout"} after ?timeout= seconds (≤ 120).
  app.get<{ Params: RoomParams & { handle: string }; Querystring: Query }>('/rooms/:room/await/:handle', async (request) => {
    const room = await openRoom(request.params.room);
    const { timeout, all } = parseAwaitRequest(request.query, true);
    const controller = new AbortController();
    request.raw.on('close', () => controller.abort());
    const result = await awaitMessage(room, request.params.handle, { timeoutMs: timeout! * 1000, all, signal: controller.signal, log: (line) => void process.stderr.write(`mycelium: ${line}\n`) });
    return result.type === 'message' ? awaitPayload(result.message) : { type: 'timeout', seconds: timeout };
  });

  app.get<{ Params: RoomParams }>('/rooms/:room/agents', async (request) => {
    const room = await openRoom(request.params.room);
    const now = new Date();
    return { room: room.name, agents: (await listAgents(room)).map((card) => ({ ...card, online: isOnline(card, now) })) };
  });

  app.post<{ Params: RoomParams }>('/rooms/:room/agents', async (request) => {
    const room = await openRoom(request.params.room);
    const card = await registerAgent(room, handleOf(request), parseRegisterRequest(objectBody(request.body ?? {})));
    await daemon.touched(room.name, `agents/${card.handle}`);
    return card;
  });
}
