import type { FastifyInstance, FastifyReply } from 'fastify';
import { isOnline, listAgents } from '../coord/agents.js';
import { messageKeys, sendMessage, toMessage } from '../coord/messages/store.js';
import { type Message, messageIdOf, messageKey } from '../coord/messages/format.js';
import { MemoryNotFoundError, MyceliumError, errorReply } from '../errors.js';
import { readEvents } from '../events/log.js';
import { normalizeKey } from '../keys.js';
import { Room, roomNames } from '../room.js';
import { summarizeRoom } from '../rooms.js';
import type { SearchMode } from '../search/types.js';
import type { ServerContext } from './app.js';
import { SESSIONS_ON_ROOM_PAGE, readCoordState, registerWebCoordRoutes } from './routes-web-coord.js';
import { registerLoginRoutes } from './routes-web-login.js';
import { registerWebNegotiateRoutes } from './routes-web-negotiate.js';
import { registerWebLiveRoutes } from './routes-web-live.js';
import { webAssets } from './web/assets.js';
import { PAGE_HEADERS, escapeHtml, page, roomPath } from './web/html.js';
import { memoryView, messagesView, roomCrumbs, roomView, roomsView, searchView } from './web/views.js';

type RoomParams = { room: string };
type MemoryParams = { room: string; '*': string };

/** Recent activity and messages shown when a room page opens (the live feed adds to them). */
const RECENT_EVENTS = 30;
const RECENT_MESSAGES = 10;
const MESSAGES_PAGE = 200;
const SEARCH_LIMIT = 20;

/** The web page for the people watching (issue 16): server-rendered HTML over the same library calls as the CLI. */
export function registerWebRoutes(app: FastifyInstance, context: ServerContext): void {
  const { home, daemon, operator, tokenRequired, openRoom } = context;
  const assets = webAssets();
  const html = (reply: FastifyReply, title: string, body: string, crumbs?: string) =>
    reply.headers(PAGE_HEADERS).send(page(title, body, { crumbs, logout: tokenRequired }));

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  registerLoginRoutes(app, context);
  registerWebCoordRoutes(app, context);
  registerWebNegotiateRoutes(app, context);
  registerWebLiveRoutes(app, context);

  app.get<{ Params: { hash: string; name: string } }>('/ui/assets/:hash/:name', async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset || `/ui/assets/${request.params.hash}/` !== assets.prefix) {
      return reply.code(404).send({ error: 'not_found', message: 'no such asset; reload the page' });
    }
    return reply
      .header('Content-Type', asset.type)
      .header('Cache-Control', 'public, max-age=31536000, immutable')
      .header('X-Content-Type-Options', 'nosniff')
      .send(asset.body);
  });

  app.get('/ui', async (_request, reply) => {
    // Counts and last changes come from the daemon's known state (a walk of a 10,000-memory room
    // took 421 ms); a room the daemon has not picked up yet is walked.
    const [names, status] = await Promise.all([roomNames(home), daemon.status()]);
    const known = new Map(status.rooms.map((r) => [r.name, r]));
    const withPresence = await Promise.all(
      names.map(async (name) => {
        const seen = known.get(name);
        const summary = seen ? { name, memories: seen.memories, last_change: seen.last_change } : await summarizeRoom(home, name);
        const cards = await listAgents(await openRoom(name));
        return { ...summary, online: cards.filter((c) => isOnline(c)).length };
      }),
    );
    return html(reply, 'Rooms', roomsView(withPresence));
  });

  app.get<{ Params: RoomParams; Querystring: { under?: string } }>('/ui/rooms/:room', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const under = folderPrefix(request.query.under);
    const now = new Date();
    const [keys, log, messages, coord] = await Promise.all([
      // A folder view walks only that folder (a big room's page stays fast).
      room.keys([], under.replace(/\/$/, '')),
      readEvents(home, room.name),
      recentMessages(room, RECENT_MESSAGES),
      readCoordState(room, SESSIONS_ON_ROOM_PAGE, now),
    ]);
    const body = roomView({
      room: room.name,
      keys,
      under,
      coord,
      now,
      messages,
      events: log.events.slice(-RECENT_EVENTS).reverse(),
      since: log.cursor,
      operator,
    });
    return html(reply, room.name, body, roomCrumbs(room.name));
  });

  app.get<{ Params: MemoryParams }>('/ui/rooms/:room/memory/*', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const memory = await room.get(normalizeKey(request.params['*']));
    return html(reply, memory.key, memoryView(memory), roomCrumbs(room.name, escapeHtml(memory.key)));
  });

  app.get<{ Params: MemoryParams }>('/ui/rooms/:room/raw/*', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const key = normalizeKey(request.params['*']);
    const raw = await room.readRaw(key);
    if (!raw) throw new MemoryNotFoundError(`no memory '${key}' in room '${room.name}'`);
    // Plain text, never sniffed, sandboxed: the raw file cannot become a page.
    return reply
      .header('Content-Type', 'text/plain; charset=utf-8')
      .header('Content-Security-Policy', "default-src 'none'; sandbox")
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'no-store')
      .send(raw.content);
  });

  app.get<{ Params: RoomParams; Querystring: { q?: string; mode?: string } }>('/ui/rooms/:room/search', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const query = (request.query.q ?? '').trim();
    const mode = (['hybrid', 'bm25', 'vector'].includes(request.query.mode ?? '') ? request.query.mode : 'hybrid') as SearchMode;
    const response = query === '' ? undefined : await daemon.search(room.name, query, { mode, limit: SEARCH_LIMIT });
    return html(reply, `Search ${room.name}`, searchView(room.name, query, mode, response), roomCrumbs(room.name, 'search'));
  });

  // The newest 200 messages; `?before=ID` pages back to the 200 before that message.
  app.get<{ Params: RoomParams; Querystring: { before?: string } }>('/ui/rooms/:room/messages', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const { messages, older } = await messagePage(room, request.query.before || undefined, MESSAGES_PAGE);
    const pages = { older, newest: request.query.before ? true : false };
    return html(reply, `Messages ${room.name}`, messagesView(room.name, messages, operator, '', pages), roomCrumbs(room.name, 'messages'));
  });

  app.post<{ Params: RoomParams; Body: Record<string, string> }>('/ui/rooms/:room/messages', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const form = request.body ?? {};
    const to = (form.to ?? '').split(/[\s,]+/).filter((h) => h !== '');
    try {
      const sent = await sendMessage(room, { from: operator, text: form.text ?? '', to });
      await daemon.touched(room.name, sent.key);
    } catch (err) {
      if (!(err instanceof MyceliumError)) throw err;
      const { messages, older } = await messagePage(room, undefined, MESSAGES_PAGE);
      reply.code(errorReply(err).status);
      return html(reply, `Messages ${room.name}`, messagesView(room.name, messages, operator, err.message, { older, newest: false }), roomCrumbs(room.name, 'messages'));
    }
    return reply.redirect(`${roomPath(room.name)}/messages`, 303);
  });
}

/** A folder of the room (`?under=decisions/`), checked as a key prefix; '' for the whole room. */
function folderPrefix(under: string | undefined): string {
  if (!under) return '';
  const folder = normalizeKey(under.replace(/\/+$/, ''));
  return `${folder}/`;
}

/**
 * A page of messages, oldest first: the `size` before the message `before` (an id; none: the newest),
 * reading only their files, and the id to page back from when older ones exist.
 */
export async function messagePage(room: Room, before: string | undefined, size: number): Promise<{ messages: Message[]; older?: string }> {
  const keys = await messageKeys(room);
  let end = keys.length;
  if (before !== undefined) {
    const key = messageKeyOf(before);
    end = key === undefined ? keys.length : keys.filter((k) => k < key).length;
  }
  const chosen = keys.slice(Math.max(0, end - size), end);
  const read = await Promise.all(chosen.map((key) => room.get(key).then(toMessage, () => undefined)));
  const messages = read.filter((m): m is Message => m !== undefined);
  return { messages, older: end > size && messages.length > 0 ? messages[0].id : undefined };
}

/** The room key of a message id, or undefined for text that is no message id. */
function messageKeyOf(id: string): string | undefined {
  try {
    const key = messageKey(id);
    return messageIdOf(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The newest messages, oldest first, reading only their files (a room may hold many). */
async function recentMessages(room: Room, count: number): Promise<Message[]> {
  const keys = (await messageKeys(room)).slice(-count);
  const read = await Promise.all(keys.map((key) => room.get(key).then(toMessage, () => undefined)));
  return read.filter((m): m is Message => m !== undefined);
}
