import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CrossOriginError, HostNotAllowedError, MyceliumError } from '../errors.js';
import { maxValueBytes } from '../room.js';
import type { DaemonLink } from './daemon-link.js';
import { FeedResetError } from './feed.js';
import { RateLimiter, bearerToken, hostAllowed, isCrossOriginWrite, isLoopback, tokenMatches } from './guard.js';
import { registerFeedRoutes } from './routes-feed.js';
import { registerMemoryRoutes } from './routes-memory.js';
import { registerMessageRoutes } from './routes-messages.js';
import { registerNegotiateRoutes } from './routes-negotiate.js';
import { registerRoomRoutes } from './routes-rooms.js';
import { registerSynthesisRoutes } from './routes-synthesis.js';
import { registerWebRoutes } from './routes-web.js';
import { registerDigestRoutes } from './routes-digest.js';
import { loginRequired } from './routes-web-login.js';
import { hasSession, isPublicWebPath } from './web/session.js';
import { registerPlanRoutes } from './routes-plan.js';

export interface ServerOptions {
  /** The `$MYCELIUM_HOME` whose rooms the server hosts. */
  home: string;
  /** Bearer token every request but /healthz must carry; none on a loopback-only server is allowed. */
  token?: string;
  /** Requests a minute per client (by address); 0 turns the limit off. Default 6000. */
  rateLimitPerMinute?: number;
  /** The address the server is bound to: on a loopback bind, requests must name it or localhost in Host. */
  host?: string;
  /** The handle the web page writes as (messages a person sends from it). Default `operator`. */
  operator?: string;
}

/** Shared by the route files: where rooms live, and the daemon that indexes them and logs their changes. */
export interface ServerContext {
  home: string;
  daemon: DaemonLink;
  /** Who the web page acts as. */
  operator: string;
  /** Whether the server has a token (then the web page needs a login). */
  tokenRequired: boolean;
  /** The server's token, for the login form to check; never sent to a client. */
  token?: string;
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
  const context: ServerContext = {
    home: options.home,
    daemon,
    operator: options.operator ?? 'operator',
    tokenRequired: options.token !== undefined,
    token: options.token,
  };
  const checkHost = options.host !== undefined && isLoopback(options.host);
  const limiter = new RateLimiter(options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE);

  app.addContentTypeParser(['text/markdown', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // DNS rebinding: a hostile name resolving to 127.0.0.1 must not reach a loopback server's rooms.
    if (checkHost && !hostAllowed(request.headers.host, options.host!)) {
      throw new HostNotAllowedError(`Host '${String(request.headers.host ?? '').slice(0, 80)}' is not this server; use http://localhost:PORT or the bound address`);
    }
    if (request.url === '/healthz') return;
    const wait = limiter.take(request.ip);
    if (wait > 0) {
      reply.header('Retry-After', String(wait));
      return reply.code(429).send({ error: 'rate_limited', message: `too many requests; retry in ${wait} s` });
    }
    const bearer = options.token !== undefined && tokenMatches(bearerToken(request.headers.authorization), options.token);
    const cookie = options.token !== undefined && !bearer && hasSession(request.headers.cookie, options.token);
    if (isCrossOriginWrite(request.method, request.headers, cookie || (options.token === undefined && request.url.startsWith('/ui')))) {
      throw new CrossOriginError('cross-site request refused; send it from the mycelium page itself or with the bearer token');
    }
    if (options.token !== undefined && !bearer && !cookie && !isPublicWebPath(request.url)) {
      if (request.url.startsWith('/ui')) return loginRequired(reply, request.url);
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
  registerMessageRoutes(app, context);
  registerDigestRoutes(app, context);
  registerNegotiateRoutes(app, context);
  registerSynthesisRoutes(app, context, process.env);
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
      invalid_handle: 400, invalid_message: 400, message_not_found: 404, agent_not_found: 404, // issue 12
      unsafe_file: 400,
      host_not_allowed: 421,
      cross_origin: 403,
      llm_not_configured: 400,
    };
    return byCode[err.code] ?? 500;
  }
  const status = (err as FastifyError).statusCode;
  return status !== undefined && status >= 400 && status < 500 ? status : 500;
}
