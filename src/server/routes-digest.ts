import type { FastifyInstance } from 'fastify';
import { buildDigest, DEFAULT_DIGEST_CHARS, MAX_DIGEST_CHARS } from '../coord/digest/index.js';
import { DIGEST_CONTRIBUTORS } from '../coord/digest/contributors.js';
import { InvalidInputError } from '../errors.js';
import { Room } from '../room.js';
import type { ServerContext } from './app.js';
import { queryNumber } from './request.js';

/**
 * GET /rooms/:room/digest?handle=H[&max_chars=N][&since_cursor=true]: the digest verb over HTTP, with
 * the MCP tool's input names; the reply is the `--json` form (the data and `text`). The handle comes
 * from the query or `X-Mycelium-Handle`.
 */
export function registerDigestRoutes(app: FastifyInstance, { openRoom }: ServerContext): void {
  app.get<{ Params: { room: string }; Querystring: Record<string, string> }>('/rooms/:room/digest', async (request) => {
    const room = await openRoom(request.params.room);
    const header = request.headers['x-mycelium-handle'];
    const handle = request.query.handle ?? (typeof header === 'string' ? header : undefined);
    if (!handle) throw new InvalidInputError('say whose digest: ?handle=NAME or the X-Mycelium-Handle header');
    const maxChars = queryNumber(request.query.max_chars, 'max_chars', DEFAULT_DIGEST_CHARS, 200, MAX_DIGEST_CHARS);
    const since = request.query.since_cursor;
    if (since !== undefined && !['true', 'false', '1', '0'].includes(since)) throw new InvalidInputError("since_cursor is true or false");
    const digest = await buildDigest(room, handle, {
      maxChars,
      sinceCursor: since === 'true' || since === '1',
      contributors: DIGEST_CONTRIBUTORS,
    });
    return { ...digest.data, text: digest.text, warnings: digest.warnings };
  });
}
