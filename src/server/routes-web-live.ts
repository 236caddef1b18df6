/**
 * The live parts of the web pages (issue 16), one at a time: when a file under `plan/`, `claims/`,
 * `sessions/` or `agents/` changes, the page's script asks for only the parts that file shows
 * (`GET /ui/rooms/ROOM/live?parts=plan-board,claims-card&page=PATH`) instead of the whole page, and
 * each part reads only its own files. Every part is rendered by the same view as the full page, so
 * a part swapped in is byte for byte what a reload would show.
 */
import type { FastifyInstance } from 'fastify';
import { isOnline, listAgents } from '../coord/agents.js';
import { isStaleClaim, listClaims } from '../coord/claims/store.js';
import { sessionStatus, type SessionStatus } from '../coord/negotiation/status.js';
import { sessionIds } from '../coord/negotiation/store.js';
import { readPlan } from '../coord/plan/store.js';
import { InvalidInputError } from '../errors.js';
import { Room } from '../room.js';
import type { ServerContext } from './app.js';
import { SESSIONS_ON_ROOM_PAGE } from './routes-web-coord.js';
import { SESSIONS_PAGE, sessionPage } from './routes-web-negotiate.js';
import { PAGE_HEADERS, roomPath } from './web/html.js';
import { agentsList, claimsTable, planBoard } from './web/views-coord.js';
import { negotiationsList } from './web/views-negotiate.js';

/** The parts a page can ask for, by their element id. */
export const LIVE_PARTS = ['plan-board', 'claims-card', 'agents-card', 'negotiations-card'] as const;
export type LivePart = (typeof LIVE_PARTS)[number];

/** Which page of the room asks: the variant of a part depends on it (all done tasks, 50 sessions a page). */
interface PageOf {
  /** The page's own path, where its forms send the person back to. */
  here: string;
  kind: 'room' | 'plan' | 'claims' | 'negotiations';
  /** The negotiations page's `before`. */
  before?: string;
}

/** The asking page from its path (`pathname + search`); anything else is the room page. */
export function pageOf(room: string, path: string | undefined): PageOf {
  const base = roomPath(room);
  const url = new URL(path ?? base, 'http://page.invalid');
  if (url.pathname === `${base}/plan`) return { here: url.pathname, kind: 'plan' };
  if (url.pathname === `${base}/claims`) return { here: url.pathname, kind: 'claims' };
  if (url.pathname === `${base}/negotiations`) {
    const before = url.searchParams.get('before') || undefined;
    return { here: before ? `${url.pathname}?before=${encodeURIComponent(before)}` : url.pathname, kind: 'negotiations', before };
  }
  return { here: base, kind: 'room' };
}

/** The parts named in `parts` (comma-separated ids), known ones only; none named is a 400. */
export function partsOf(raw: string | undefined): LivePart[] {
  const asked = (raw ?? '').split(',').map((p) => p.trim());
  const parts = LIVE_PARTS.filter((p) => asked.includes(p));
  if (parts.length === 0) throw new InvalidInputError(`parts must name one or more of ${LIVE_PARTS.join(', ')}`);
  return parts;
}

export function registerWebLiveRoutes(app: FastifyInstance, context: ServerContext): void {
  const { operator, openRoom } = context;

  async function render(room: Room, part: LivePart, page: PageOf, now: Date): Promise<string> {
    switch (part) {
      case 'plan-board':
        return planBoard(room.name, await readPlan(room), page.here, { allDone: page.kind === 'plan' });
      case 'claims-card': {
        const [{ claims }, cards] = await Promise.all([listClaims(room, {}), listAgents(room)]);
        const seen = new Map(cards.map((c) => [c.handle, c.last_seen]));
        const rows = claims.map((claim) => ({ claim, stale: isStaleClaim(claim, seen.get(claim.holder), now) }));
        return claimsTable(room.name, rows, now, page.here, operator);
      }
      case 'agents-card':
        return agentsList((await listAgents(room)).map((card) => ({ card, online: isOnline(card, now) })));
      case 'negotiations-card': {
        const base = `${roomPath(room.name)}/negotiations`;
        const paged = page.kind === 'negotiations';
        const { ids, older } = paged ? await sessionPage(room, page.before, SESSIONS_PAGE) : { ids: (await sessionIds(room)).slice(-SESSIONS_ON_ROOM_PAGE).reverse(), older: undefined };
        const statuses = await Promise.all(ids.map((id) => sessionStatus(room, id).catch(() => undefined)));
        return negotiationsList(room.name, statuses.filter((s): s is SessionStatus => s !== undefined), {
          operator,
          here: page.here,
          older: older ? `${base}?before=${encodeURIComponent(older)}` : undefined,
          newest: page.before ? base : undefined,
        });
      }
    }
  }

  // The parts, one after another in one HTML fragment (no page around them); the script finds each by id.
  app.get<{ Params: { room: string }; Querystring: { parts?: string; page?: string } }>('/ui/rooms/:room/live', async (request, reply) => {
    const parts = partsOf(request.query.parts);
    const room = await openRoom(request.params.room);
    const page = pageOf(room.name, request.query.page);
    const now = new Date();
    const html = await Promise.all(parts.map((part) => render(room, part, page, now)));
    return reply.headers(PAGE_HEADERS).send(html.join('\n'));
  });
}
