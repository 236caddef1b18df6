import { RemoteUnreachableError } from '../src/errors.js';
import { tokenRefusedError } from '../src/sync/http-client.js';
import { readSyncState } from '../src/sync/sync-state.js';

/**
 * How the CLI reaches the server a room was cloned from (`mycelium room clone http://…`), for the
 * verbs whose authority is the server (claims, negotiation). One rule for the URL, the headers, the
 * token and "cannot reach it"; each area maps the server's error replies onto its own error classes.
 */
export interface ServerReply {
  status: number;
  /** The parsed JSON body ({} when there was none). */
  body: Record<string, unknown>;
}

export interface ServerClient {
  /** `<server>/rooms/<room>`. */
  roomUrl: string;
  request(method: 'GET' | 'POST', path: string, handle: string, body?: Record<string, unknown>, signal?: AbortSignal): Promise<ServerReply>;
}

/** The client when the room syncs over HTTP, else undefined (the verbs then act on the local room). */
export async function serverClientFor(home: string, room: string, token: string | undefined, what: string): Promise<ServerClient | undefined> {
  const state = await readSyncState(home, room);
  if (!state) return undefined;
  const roomUrl = state.url.replace(/\/+$/, '');
  return {
    roomUrl,
    async request(method, path, handle, body, signal) {
      let response: Response;
      try {
        response = await fetch(roomUrl + path, {
          method,
          signal,
          headers: {
            'x-mycelium-handle': handle,
            ...(body ? { 'content-type': 'application/json' } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        });
      } catch (err) {
        throw new RemoteUnreachableError(`cannot reach ${roomUrl + path} (${(err as Error).message}); ${what} for this room are made on its server, start it or retry`);
      }
      const parsed: unknown = await response.json().catch(() => ({}));
      const reply = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
      if (response.status === 401) throw tokenRefusedError(roomUrl);
      return { status: response.status, body: reply };
    },
  };
}
