import type { NegotiationEvent } from '../../src/coord/negotiation/events.js';
import type { Strategy } from '../../src/coord/negotiation/schema.js';
import { MyceliumError, NegotiationInputError, RemoteUnreachableError, SessionConflictError, SessionNotFoundError } from '../../src/errors.js';
import { type ServerClient, serverClientFor } from '../server-client.js';

/**
 * For a room cloned from `mycelium serve`, the negotiation runs on the server (the authority), as
 * claims do: one mediator, one set of session files, so agents in different homes negotiate for real
 * instead of stepping copies that sync later. The routes are the server's `session/*` and
 * `negotiate/*` (src/server/routes-negotiate.ts); the server long-polls `session/await` for at most
 * 60 s, so a longer wait asks again.
 */
export interface RemoteNegotiation {
  /** `<server>/rooms/<room>`. */
  url: string;
  /** POST or GET a negotiation route; the server's error line becomes the same error class as locally. */
  call(method: 'GET' | 'POST', path: string, handle: string, body?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The next event for the handle, waiting at most `timeoutS`. */
  awaitEvent(handle: string, timeoutS: number): Promise<NegotiationEvent>;
  /** `negotiate auto` on the server's files: answers each tick until the session ends or none comes in time. */
  auto(handle: string, strategy: Strategy, timeoutS: number): Promise<NegotiationEvent>;
}

const SERVER_AWAIT_S = 60;

function errorOf(status: number, body: Record<string, unknown>): MyceliumError {
  const message = `server: ${String(body.instruction ?? body.message ?? `HTTP ${status}`)}`;
  const code = typeof body.error === 'string' ? body.error : undefined;
  if (status === 404) return new SessionNotFoundError(message);
  if (status === 409) return new SessionConflictError(message);
  if (status === 400) {
    const valid = Array.isArray(body.valid_keys) ? body.valid_keys.map(String) : undefined;
    return new NegotiationInputError(message, valid, code);
  }
  return new RemoteUnreachableError(message);
}

/** A JSON object the server sent as an event line; anything else is the server's fault. */
function asEvent(body: Record<string, unknown>): NegotiationEvent {
  if (['tick', 'consensus', 'error', 'timeout'].includes(String(body.type))) return body as unknown as NegotiationEvent;
  throw new RemoteUnreachableError(`server: expected a negotiation event, got ${JSON.stringify(body).slice(0, 200)}`);
}

export async function remoteNegotiation(home: string, room: string, token?: string): Promise<RemoteNegotiation | undefined> {
  const server = await serverClientFor(home, room, token, 'negotiations');
  if (!server) return undefined;
  return remoteOver(server);
}

function remoteOver(server: ServerClient): RemoteNegotiation {
  const call: RemoteNegotiation['call'] = async (method, path, handle, body) => {
    const reply = await server.request(method, path, handle, body);
    if (reply.status >= 200 && reply.status < 300) return reply.body;
    throw errorOf(reply.status, reply.body);
  };
  const awaitEvent = async (handle: string, timeoutS: number): Promise<NegotiationEvent> => {
    const until = Date.now() + timeoutS * 1000;
    for (;;) {
      const left = Math.max(0.1, Math.min(SERVER_AWAIT_S, (until - Date.now()) / 1000));
      const event = asEvent(await call('GET', `/session/await?timeout=${left.toFixed(1)}`, handle));
      if (event.type !== 'timeout' || Date.now() >= until) return event.type === 'timeout' ? { type: 'timeout', seconds: timeoutS } : event;
    }
  };
  return {
    url: server.roomUrl,
    call,
    awaitEvent,
    async auto(handle, strategy, timeoutS) {
      for (;;) {
        const event = await awaitEvent(handle, timeoutS);
        if (event.type !== 'tick') return event;
        await call('POST', '/negotiate/auto', handle, { strategy, round: event.round });
      }
    },
  };
}
