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
import { readSyncState } from '../../src/sync/sync-state.js';

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
  const state = await readSyncState(home, room);
  if (!state) return undefined;
  const base = `${state.url.replace(/\/+$/, '')}/claims`;
  return {
    url: base,
    async call<T>(method: 'GET' | 'POST', path: string, handle: string, body?: Record<string, unknown>): Promise<T> {
      let response: Response;
      try {
        response = await fetch(base + path, {
          method,
          headers: {
            'x-mycelium-handle': handle,
            ...(body ? { 'content-type': 'application/json' } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        });
      } catch (err) {
        throw new RemoteUnreachableError(`cannot reach ${base} (${(err as Error).message}); claims for this room are made on its server, start it or retry`);
      }
      const reply = (await response.json().catch(() => ({}))) as { error?: string; message?: string };
      if (response.ok) return reply as T;
      const message = `server: ${reply.message ?? `HTTP ${response.status}`}`;
      const Kind = ERRORS[reply.error ?? ''];
      if (Kind) throw new Kind(message);
      if (response.status === 401) throw new RemoteUnreachableError(`${message}; pass --token or set MYCELIUM_TOKEN`);
      if (response.status < 500) throw new InvalidInputError(message);
      throw new RemoteUnreachableError(message);
    },
  };
}
