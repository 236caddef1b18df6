import type { FastifyInstance } from 'fastify';
import { Room } from '../room.js';
import { listRooms } from '../rooms.js';
import type { ServerContext } from './app.js';
import { CONTENT_SECURITY_POLICY, escapeHtml, page } from './web/html.js';

/** GET /ui: the rooms list for the people watching (first increment of issue 16; room pages to follow). */
export function registerWebRoutes(app: FastifyInstance, { home }: ServerContext): void {
  app.get('/ui', async (_request, reply) => {
    const rooms = await listRooms(home);
    const rows = rooms
      .map(
        ({ name, memories, last_change }) =>
          `<tr><td><a href="/ui/rooms/${encodeURIComponent(name)}">${escapeHtml(name)}</a></td><td>${memories}</td><td>${escapeHtml(last_change ?? '—')}</td></tr>`,
      )
      .join('');
    const body = `<h1>Rooms</h1><table><thead><tr><th>Room</th><th>Memories</th><th>Last change</th></tr></thead><tbody>${rows}</tbody></table>`;
    return reply
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'no-store')
      .send(page('Rooms', body));
  });

  app.get<{ Params: { room: string } }>('/ui/rooms/:room', async (request, reply) => {
    const room = await Room.open(home, request.params.room);
    const keys = (await room.keys()).sort();
    const items = keys.map((key) => `<li>${escapeHtml(key)}</li>`).join('');
    const body = `<h1>${escapeHtml(room.name)}</h1><p>${keys.length} memories</p><ul class="tree">${items}</ul>`;
    return reply
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'no-store')
      .send(page(room.name, body));
  });
}
