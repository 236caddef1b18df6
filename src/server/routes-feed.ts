import type { FastifyInstance } from 'fastify';
import { InvalidInputError } from '../errors.js';
import { Room } from '../room.js';
import { checkSearchOptions } from '../daemon/client.js';
import type { SearchMode, SearchOptions } from '../search/types.js';
import { subscribe } from '../watch/subscribe.js';
import type { ServerContext } from './app.js';
import { feedPage } from './feed.js';
import { objectBody, queryNumber } from './request.js';

type RoomParams = { room: string };
type FeedQuery = { since?: string; limit?: string; content?: string; encoding?: string };

/** Server-sent events stay open; a comment line every so often keeps proxies from closing them. */
const KEEPALIVE_MS = 15_000;

/** GET /rooms/:room/changes, GET /rooms/:room/events (SSE) and POST /rooms/:room/search. */
export function registerFeedRoutes(app: FastifyInstance, { home, daemon, openRoom }: ServerContext): void {
  app.get<{ Params: RoomParams; Querystring: FeedQuery }>('/rooms/:room/changes', async (request) => {
    const room = await openRoom(request.params.room);
    const limit = queryNumber(request.query.limit, 'limit', 1000, 1, 5000);
    const { content, encoding } = request.query;
    if (encoding !== undefined && encoding !== 'base64') throw new InvalidInputError("encoding must be 'base64' (files that are not UTF-8 then come as content_base64)");
    const page = await feedPage(home, room, request.query.since ?? '0', limit, content !== '1' ? 'none' : encoding === 'base64' ? 'base64' : 'text');
    return { room: room.name, ...page };
  });

  app.get<{ Params: RoomParams; Querystring: FeedQuery }>('/rooms/:room/events', async (request, reply) => {
    const room = await openRoom(request.params.room);
    // Without a cursor, a subscriber hears only what happens from now on.
    const since = request.query.since ?? (request.headers['last-event-id'] as string | undefined) ?? '';
    if (since !== '' && !/^\d+$/.test(since)) throw new InvalidInputError('since must be an event cursor (a whole number)');
    const stop = new AbortController();
    const events = subscribe(home, { room: room.name, since: since === '' ? undefined : Number(since), signal: stop.signal, log: (line) => void process.stderr.write(`mycelium: ${line}\n`) });
    reply.hijack();
    reply.raw.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    reply.raw.write(': connected\n\n');
    const keepalive = setInterval(() => reply.raw.write(': keepalive\n\n'), KEEPALIVE_MS);
    request.raw.on('close', () => {
      clearInterval(keepalive);
      stop.abort();
    });
    try {
      for await (const event of events) reply.raw.write(`id: ${event.cursor ?? ''}\nevent: change\ndata: ${JSON.stringify(event)}\n\n`);
    } finally {
      clearInterval(keepalive);
      reply.raw.end();
    }
  });

  app.post<{ Params: RoomParams }>('/rooms/:room/search', async (request) => {
    const room = await openRoom(request.params.room);
    const { query, options } = searchRequest(objectBody(request.body));
    const { mode, reason, results } = await daemon.search(room.name, query, options);
    return { room: room.name, mode, ...(reason ? { reason } : {}), results };
  });
}

/** Reads a search request body: `{"query", "limit"?, "mode"?, "prefix"?, "tags"?, "by"?, "kind"?, "since"?, "explain"?, "min_score"?}`. */
function searchRequest(body: Record<string, unknown>): { query: string; options: SearchOptions } {
  const { query, limit, mode, prefix, tags, by, since, explain, min_score, kind } = body;
  if (typeof query !== 'string') throw new InvalidInputError("the body needs a 'query' string");
  const optionalString = (value: unknown, name: string) => {
    if (value !== undefined && typeof value !== 'string') throw new InvalidInputError(`'${name}' must be a string`);
    return value as string | undefined;
  };
  // limit, mode, tags and min_score are checked once, for every face, by checkSearchOptions.
  if (explain !== undefined && typeof explain !== 'boolean') throw new InvalidInputError("'explain' must be true or false");
  return {
    query,
    options: checkSearchOptions({
      limit: limit as number | undefined,
      mode: mode as SearchMode | undefined,
      prefix: optionalString(prefix, 'prefix'),
      tags: tags as string[] | undefined,
      by: optionalString(by, 'by'),
      kind: optionalString(kind, 'kind') as SearchOptions['kind'], // checked by the search itself
      since: optionalString(since, 'since'),
      explain: explain as boolean | undefined,
      minScore: min_score as number | undefined,
    }),
  };
}
