import { createServer } from 'node:http';
import Fastify, { errorCodes, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CrossOriginError, HostNotAllowedError, IoError, MyceliumError, errorReply } from '../errors.js';
import { parseJsonBounded } from '../json-depth.js';
import { Room, maxValueBytes, roomOptions } from '../room.js';
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
import { SESSION_COOKIE, cookieValue, isPublicWebPath } from './web/session.js';
import { WebSessions } from './web/sessions.js';
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
  /** Host names (without port) a loopback server also answers for, besides localhost and loopback addresses (`serve --allow-host`). */
  allowedHosts?: string[];
  /** Time to receive a whole request, headers and body (ms). Default 30 s. */
  requestTimeoutMs?: number;
  /** An idle connection is closed after this long (ms). Default 60 s (event streams send a keepalive every 15 s). */
  idleTimeoutMs?: number;
  /** Connections open at once; more are refused. Default 512. */
  maxConnections?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_CONNECTIONS = 512;

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
  /** The web page's login sessions (with a token). */
  sessions?: WebSessions;
  /** Opens a room of the home with the limits the server was started with (MYCELIUM_MAX_VALUE_BYTES). */
  openRoom(name: string): Promise<Room>;
}

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6000;

/** The HTTP face of the library: every route is a thin call into src/. */
export function buildServer(options: ServerOptions, daemon: DaemonLink): FastifyInstance {
  // The HTTP face reads its environment here, once, and hands the value limit down to every room it opens.
  const env = process.env;
  const rooms = roomOptions(env);
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const app = Fastify({
    // JSON carries a value escaped (up to 6 bytes a character): let it in, the library enforces the real limit.
    bodyLimit: 6 * maxValueBytes(env) + 64 * 1024,
    logger: false,
    // Event streams never end by themselves: close them with the server.
    forceCloseConnections: true,
    // Half-sent requests must not hold connections (and file descriptors) for ever.
    // (Fastify leaves a factory's server as made, so every timeout is set here.)
    serverFactory: (handler) => {
      const server = createServer(
        {
          requestTimeout,
          headersTimeout: Math.min(requestTimeout, 20_000),
          keepAliveTimeout: 5_000,
          // Node checks the request timeout only this often (default 30 s).
          connectionsCheckingInterval: Math.min(5_000, Math.max(100, requestTimeout / 2)),
        },
        handler,
      );
      server.setTimeout(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
      return server;
    },
  });
  app.server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const context: ServerContext = {
    home: options.home,
    daemon,
    operator: options.operator ?? 'operator',
    tokenRequired: options.token !== undefined,
    token: options.token,
    sessions: options.token !== undefined ? new WebSessions(options.home, options.token) : undefined,
    openRoom: (name) => Room.open(options.home, name, rooms),
  };
  const { sessions } = context;
  const checkHost = options.host !== undefined && isLoopback(options.host);
  const limiter = new RateLimiter(options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE);

  app.addContentTypeParser(['text/markdown', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // A whole memory file as exact bytes, UTF-8 or not (how sync clients push a file that is not UTF-8).
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // JSON nested deeper than MAX_JSON_DEPTH is refused before it is parsed (it would overflow the stack later).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? undefined : parseJsonBounded(body as string));
    } catch (err) {
      // Malformed JSON keeps Fastify's own error (code fst_err_ctp_invalid_json_body), as before this parser.
      done(err instanceof MyceliumError ? err : new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
    }
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // DNS rebinding: a hostile name resolving to 127.0.0.1 must not reach a loopback server's rooms.
    if (checkHost && !hostAllowed(request.headers.host, { boundHost: options.host!, localPort: request.socket.localPort, allowed: options.allowedHosts })) {
      throw new HostNotAllowedError(
        `Host '${String(request.headers.host ?? '').slice(0, 80)}' is not this server; use http://localhost:PORT or the bound address, or start it with --allow-host NAME`,
      );
    }
    if (request.url === '/healthz') return;
    const bearer = options.token !== undefined && tokenMatches(bearerToken(request.headers.authorization), options.token);
    const cookie = sessions !== undefined && !bearer && sessions.valid(cookieValue(request.headers.cookie, SESSION_COOKIE));
    // Unauthenticated requests have buckets of their own: a flood of bad tokens from an address never
    // locks the token holder at that address out.
    const authorised = options.token === undefined || bearer || cookie;
    const wait = limiter.take(authorised ? request.ip : `unauthorised ${request.ip}`);
    if (wait > 0) {
      reply.header('Retry-After', String(wait));
      return reply.code(429).send({ error: 'rate_limited', message: `too many requests; retry in ${wait} s` });
    }
    if (isCrossOriginWrite(request.method, request.headers, cookie || (options.token === undefined && request.url.startsWith('/ui')))) {
      throw new CrossOriginError('cross-site request refused; send it from the mycelium page itself or with the bearer token');
    }
    if (!authorised && !isPublicWebPath(request.url)) {
      if (request.url.startsWith('/ui')) return loginRequired(reply, request.url);
      reply.header('WWW-Authenticate', 'Bearer');
      return reply.code(401).send({ error: 'unauthorized', message: 'a valid token is required: Authorization: Bearer TOKEN' });
    }
  });

  app.setErrorHandler((err: FastifyError | Error, _request, reply) => {
    const status = statusOf(err);
    if (status === 507) {
      return reply.code(507).send({ error: 'insufficient_storage', message: 'the server is out of disk space; retry later' });
    }
    if (status >= 500 && (!(err instanceof MyceliumError) || err instanceof IoError)) {
      // Server-side failures never show paths or internals to a client (an I/O error names paths).
      return reply.code(500).send({ error: 'internal', message: 'the server failed to handle the request; see its log' });
    }
    if (err instanceof MyceliumError) return reply.code(status).send(errorReply(err).body);
    const code = ((err as FastifyError).code ?? 'bad_request').toLowerCase();
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
  registerSynthesisRoutes(app, context, env);
  registerPlanRoutes(app, context);
  return app;
}

/** HTTP status for an error: the library's error classes carry their own (errorReply); Fastify's 4xx pass through. */
function statusOf(err: FastifyError | Error): number {
  if (err instanceof IoError && /\(ENOSPC\)|\(EDQUOT\)/.test(err.message)) return 507;
  if (err instanceof MyceliumError) return errorReply(err).status;
  const status = (err as FastifyError).statusCode;
  return status !== undefined && status >= 400 && status < 500 ? status : 500;
}
