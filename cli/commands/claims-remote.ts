import {
  ClaimConflictError,
  ClaimNotFoundError,
  ClaimNotYoursError,
  InvalidInputError,
  InvalidTtlError,
  MyceliumError,
  RemoteUnreachableError,
  StaleEpochError,
} from '../../src/errors.js';
import { serverClientFor } from '../server-client.js';

/**
 * For a room cloned from `mycelium serve`, claims are made on the server (the authority), so agents
 * on different machines are kept apart for real. This is the CLI's client for those routes.
 */
export interface RemoteClaims {
  url: string;
  call<T>(method: 'GET' | 'POST', path: string, handle: string, body?: Record<string, unknown>): Promise<T>;
}

const ERRORS: Record<string, new (message: string) => MyceliumError> = {
  claim_conflict: ClaimConflictError,
  claim_not_yours: ClaimNotYoursError,
  claim_not_found: ClaimNotFoundError,
  stale_epoch: StaleEpochError,
  invalid_ttl: InvalidTtlError,
};

/** The server client when the room syncs over HTTP, else undefined (claims are then made locally). */
export async function remoteClaims(home: string, room: string, token?: string): Promise<RemoteClaims | undefined> {
  const server = await serverClientFor(home, room, token, 'claims');
  if (!server) return undefined;
  return {
    url: `${server.roomUrl}/claims`,
    async call<T>(method: 'GET' | 'POST', path: string, handle: string, body?: Record<string, unknown>): Promise<T> {
      const reply = await server.request(method, `/claims${path}`, handle, body);
      if (reply.status >= 200 && reply.status < 300) return reply.body as T;
      const message = `server: ${String(reply.body.message ?? `HTTP ${reply.status}`)}`;
      const Kind = ERRORS[String(reply.body.error ?? '')];
      if (Kind) throw new Kind(message);
      if (reply.status < 500) throw new InvalidInputError(message);
      throw new RemoteUnreachableError(message);
    },
  };
}
