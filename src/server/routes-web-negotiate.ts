/**
 * The negotiations page (issue 16) and the operator's part in a negotiation: join the open session
 * (or start one), answer a round, counter on its turn. Each goes through the same verb schema the
 * CLI uses (`parseJoin`, `parseRespond`, `parseProposal`) and the same library call the CLI, HTTP
 * and MCP make (`joinSession`, `replyToRound`), as the operator handle.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SESSION_ID, SESSIONS_PREFIX } from '../coord/negotiation/format.js';
import { parseJoin, parseProposal, parseRespond } from '../coord/negotiation/schema.js';
import { sessionStatus, type SessionStatus } from '../coord/negotiation/status.js';
import { joinSession, replyToRound, sessionIds } from '../coord/negotiation/store.js';
import { readEvents } from '../events/log.js';
import { Room } from '../room.js';
import type { ServerContext } from './app.js';
import { depsFor } from './routes-negotiate.js';
import { pageAction } from './routes-web-coord.js';
import { PAGE_HEADERS, escapeHtml, page, roomPath } from './web/html.js';
import { roomCrumbs } from './web/views.js';
import { joinForm, negotiationsList } from './web/views-negotiate.js';

type RoomParams = { room: string };
type Form = Record<string, string>;

/** Sessions on one negotiations page; older ones are a link away (`?before=SESSION`). */
export const SESSIONS_PAGE = 50;

/** A textarea of one entry per line, as the CLI's repeated flag. */
const lines = (text: string | undefined) => (text ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');

/** The page of sessions before `before` (a session id; none: the newest), newest first, and whether older ones exist. */
export async function sessionPage(room: Room, before: string | undefined, size: number): Promise<{ ids: string[]; older?: string }> {
  const all = await sessionIds(room);
  const end = before && SESSION_ID.test(before) ? all.filter((id) => id < before).length : all.length;
  const ids = all.slice(Math.max(0, end - size), end);
  return { ids: ids.slice().reverse(), older: end - size > 0 ? ids[0] : undefined };
}

export function registerWebNegotiateRoutes(app: FastifyInstance, context: ServerContext): void {
  const { home, daemon, operator, tokenRequired, openRoom } = context;
  const html = (reply: FastifyReply, title: string, body: string, crumbs?: string) =>
    reply.headers(PAGE_HEADERS).send(page(title, body, { crumbs, logout: tokenRequired }));
  const act = pageAction(daemon);

  async function negotiationsPage(reply: FastifyReply, room: Room, before?: string, error = '') {
    const base = `${roomPath(room.name)}/negotiations`;
    const { ids, older } = await sessionPage(room, before, SESSIONS_PAGE);
    const [statuses, log] = await Promise.all([Promise.all(ids.map((id) => sessionStatus(room, id).catch(() => undefined))), readEvents(home, room.name)]);
    const sessions = statuses.filter((s): s is SessionStatus => s !== undefined);
    const here = before ? `${base}?before=${encodeURIComponent(before)}` : base;
    // Live: the page follows the room's event stream from where it was rendered (app.js), and swaps
    // the sessions in place when a file under sessions/ changes.
    const stream = `<p class="muted">Updates live: <span id="feed-status" class="status">connecting…</span><span id="stream" hidden data-room="${escapeHtml(room.name)}" data-since="${log.cursor}"></span></p>`;
    // No session gathering participants: joining starts one (what `session join` does).
    const start = sessions.some((s) => s.state === 'joining') || before ? '' : `<div class="card">${joinForm(room.name, operator, here)}</div>`;
    const list = negotiationsList(room.name, sessions, {
      operator,
      here,
      older: older ? `${base}?before=${encodeURIComponent(older)}` : undefined,
      newest: before ? base : undefined,
    });
    const errorBox = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
    return html(reply, `Negotiations ${room.name}`, `<h1>Negotiations in ${escapeHtml(room.name)}</h1>${errorBox}${stream}${start}${list}`, roomCrumbs(room.name, 'negotiations'));
  }

  app.get<{ Params: RoomParams; Querystring: { before?: string } }>('/ui/rooms/:room/negotiations', async (request, reply) =>
    negotiationsPage(reply, await openRoom(request.params.room), request.query.before || undefined),
  );

  const sessionKey = (id: string) => `${SESSIONS_PREFIX}${id}/session`;

  app.post<{ Params: RoomParams; Body: Form }>('/ui/rooms/:room/negotiate/join', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const form = request.body ?? {};
    return act(
      reply,
      room,
      form,
      async () => {
        const input = parseJoin({ message: form.message ?? '', prefer: lines(form.prefer), weight: lines(form.weight), limit: lines(form.limit) });
        return sessionKey((await joinSession(room, operator, input, depsFor(home))).session);
      },
      (message) => negotiationsPage(reply, room, undefined, message),
    );
  });

  app.post<{ Params: RoomParams; Body: Form }>('/ui/rooms/:room/negotiate/respond', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const form = request.body ?? {};
    return act(
      reply,
      room,
      form,
      async () => sessionKey((await replyToRound(room, operator, { action: parseRespond(form.answer) }, depsFor(home))).session),
      (message) => negotiationsPage(reply, room, undefined, message),
    );
  });

  // The counter-offer: one `offer.ISSUE` field per issue, the same object `negotiate propose` takes over HTTP.
  app.post<{ Params: RoomParams; Body: Form }>('/ui/rooms/:room/negotiate/propose', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const form = request.body ?? {};
    const offer = Object.fromEntries(Object.entries(form).filter(([name]) => name.startsWith('offer.')).map(([name, value]) => [name.slice('offer.'.length), value]));
    return act(
      reply,
      room,
      form,
      async () => sessionKey((await replyToRound(room, operator, { action: 'propose', proposal: parseProposal(offer) }, depsFor(home))).session),
      (message) => negotiationsPage(reply, room, undefined, message),
    );
  });
}
