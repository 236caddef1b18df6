import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { MyceliumError } from '../errors.js';
import { maxValueBytes } from '../room.js';
import type { DaemonLink } from './daemon-link.js';
import { FeedResetError } from './feed.js';
import { RateLimiter, bearerToken, tokenMatches } from './guard.js';
import { registerFeedRoutes } from './routes-feed.js';
import { registerMemoryRoutes } from './routes-memory.js';
import { registerRoomRoutes } from './routes-rooms.js';
import { registerWebRoutes } from './routes-web.js';
import { registerPlanRoutes } from './routes-plan.js';

export interface ServerOptions {
  /** The `$MYCELIUM_HOME` whose rooms the server hosts. */
  home: string;
  /** Bearer token every request but /healthz must carry; none on a loopback-only server is allowed. */
  token?: string;
  /** Requests a minute per client (by address); 0 turns the limit off. Default 6000. */
  rateLimitPerMinute?: number;
}

/** Shared by the route files: where rooms live, and the daemon that indexes them and logs their changes. */
export interface ServerContext {
  home: string;
  daemon: DaemonLink;
}

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6000;

/** The HTTP face of the library: every route is a thin call into src/. */
export function buildServer(options: ServerOptions, daemon: DaemonLink): FastifyInstance {
  const app = Fastify({
    // JSON carries a value escaped (up to 6 bytes a character): let it in, the library enforces the real limit.
    bodyLimit: 6 * maxValueBytes() + 64 * 1024,
    logger: false,
    // Event streams never end by themselves: close them with the server.
    forceCloseConnections: true,
  });
  const context: ServerContext = { home: options.home, daemon };
  const limiter = new RateLimiter(options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE);

  app.addContentTypeParser(['text/markdown', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url === '/healthz') return;
    const wait = limiter.take(request.ip);
    if (wait > 0) {
      reply.header('Retry-After', String(wait));
      return reply.code(429).send({ error: 'rate_limited', message: `too many requests; retry in ${wait} s` });
    }
    if (options.token !== undefined && !tokenMatches(bearerToken(request.headers.authorization), options.token)) {
      reply.header('WWW-Authenticate', 'Bearer');
      return reply.code(401).send({ error: 'unauthorized', message: 'a valid token is required: Authorization: Bearer TOKEN' });
    }
  });

  app.setErrorHandler((err: FastifyError | Error, _request, reply) => {
    const status = statusOf(err);
    if (status >= 500 && !(err instanceof MyceliumError)) {
      return reply.code(500).send({ error: 'internal', message: 'the server failed to handle the request; see its log' });
    }
    const code = err instanceof MyceliumError ? err.code : ((err as FastifyError).code ?? 'bad_request').toLowerCase();
    return reply.code(status).send({ error: code, message: err.message.split('\n')[0] });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}; see the README for the API` }),
  );

  app.get('/healthz', async () => ({ ok: true }));
  registerRoomRoutes(app, context);
  registerMemoryRoutes(app, context);
  registerFeedRoutes(app, context);
  registerWebRoutes(app, context);
  registerPlanRoutes(app, context);
  return app;
}

/** HTTP status for an error: the library's error classes map one to one. */
function statusOf(err: FastifyError | Error): number {
  if (err instanceof FeedResetError) return 410;
  if (err instanceof MyceliumError) {
    const byCode: Record<string, number> = {
      invalid_key: 400,
      invalid_input: 400,
      no_room: 400,
      value_too_large: 413,
      room_not_found: 404,
      memory_not_found: 404,
      precondition_failed: 412,
      conflict: 409,
      room_exists: 409,
      room_not_empty: 409,
    };
    return byCode[err.code] ?? 500;
  }
  const status = (err as FastifyError).statusCode;
  return status !== undefined && status >= 400 && status < 500 ? status : 500;
}
