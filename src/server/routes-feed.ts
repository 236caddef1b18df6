import type { FastifyInstance } from 'fastify';
import { Room } from '../room.js';
import type { FeedEntry } from '../sync/change-feed.js';
import type { ServerContext } from './app.js';
import { objectBody, queryNumber } from './request.js';
import { searchRequest } from './search-service.js';

type RoomParams = { room: string };
type FeedQuery = { since?: string; limit?: string; content?: string };

/** A change with the file's content inline (`?content=1`): how clients clone and pull in few requests. */
export interface FeedEntryWithContent extends FeedEntry {
  content?: string | null;
}

/** Files read at once for `?content=1`. */
const READ_CONCURRENCY = 64;

/** Server-sent events stay open; a comment line every so often keeps proxies from closing them. */
const KEEPALIVE_MS = 15_000;

/** GET /rooms/:room/changes, GET /rooms/:room/events (SSE) and POST /rooms/:room/search. */
export function registerFeedRoutes(app: FastifyInstance, { home, feed, search }: ServerContext): void {
  app.get<{ Params: RoomParams; Querystring: FeedQuery }>('/rooms/:room/changes', async (request) => {
    const room = await Room.open(home, request.params.room);
    const limit = queryNumber(request.query.limit, 'limit', 1000, 1, 5000);
    const page = await feed.since(room.name, request.query.since ?? '0', limit);
    if (request.query.content !== '1') return { room: room.name, ...page };
    // The files as they are now (a later change in the feed says so if one moved on); null when gone since.
    const changes: FeedEntryWithContent[] = [];
    for (let i = 0; i < page.changes.length; i += READ_CONCURRENCY) {
      const batch = page.changes.slice(i, i + READ_CONCURRENCY);
      const raws = await Promise.all(batch.map((c) => (c.type === 'deleted' ? undefined : room.readRaw(c.key))));
      batch.forEach((change, j) => {
        if (change.type === 'deleted') return changes.push(change);
        const raw = raws[j];
        changes.push({ ...change, hash: raw?.hash ?? change.hash, content: raw?.content ?? null });
      });
    }
    return { room: room.name, changes, cursor: page.cursor, more: page.more };
  });

  app.get<{ Params: RoomParams; Querystring: FeedQuery }>('/rooms/:room/events', async (request, reply) => {
    const room = await Room.open(home, request.params.room);
    const since = request.query.since ?? (request.headers['last-event-id'] as string | undefined) ?? '';
    // Without a cursor, a subscriber hears only what happens from now on.
    const from = since === '' ? await feed.latest(room.name) : since;
    const send = (entry: FeedEntry) => reply.raw.write(`id: ${entry.cursor}\nevent: change\ndata: ${JSON.stringify(entry)}\n\n`);
    const unsubscribe = await feed.subscribe(room.name, from, send); // a bad cursor fails here, before the stream opens
    reply.hijack();
    reply.raw.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    reply.raw.write(': connected\n\n');
    const keepalive = setInterval(() => reply.raw.write(': keepalive\n\n'), KEEPALIVE_MS);
    request.raw.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
    });
  });

  app.post<{ Params: RoomParams }>('/rooms/:room/search', async (request) => {
    const room = await Room.open(home, request.params.room);
    const { query, options } = searchRequest(objectBody(request.body));
    const { mode, reason, results } = await search.search(room.name, query, options);
    return { room: room.name, mode, ...(reason ? { reason } : {}), results };
  });
}
