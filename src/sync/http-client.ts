import { InvalidInputError, RemoteUnreachableError, RoomNotFoundError, SyncFailedError } from '../errors.js';
import type { FeedEntry } from './change-feed.js';

/** A change from the server's feed with the file's content (null: gone since; a tombstone follows). */
export interface RemoteChange extends FeedEntry {
  content?: string | null;
}

export interface RemotePage {
  changes: RemoteChange[];
  cursor: string;
  more: boolean;
}

/** The feed was started again on the server: read it from the start (safe: applying is idempotent). */
export class FeedWasReset extends Error {}

/** Outcome of a guarded write: done with the new hash, or the server had another version. */
export type PushResult = { ok: true; hash: string } | { ok: false };

/** Talks to one room on a mycelium server. The token is sent, never stored. */
export class RoomClient {
  readonly roomUrl: string;
  constructor(
    roomUrl: string,
    private readonly token: string | undefined,
    private readonly handle: string,
  ) {
    this.roomUrl = roomUrl.replace(/\/+$/, '');
  }

  async changes(since: string, limit: number): Promise<RemotePage> {
    const response = await this.request('GET', `/changes?since=${encodeURIComponent(since)}&limit=${limit}&content=1`);
    if (response.status === 410) throw new FeedWasReset();
    return (await this.expectOk(response)).json() as Promise<RemotePage>;
  }

  async getRaw(key: string): Promise<{ content: string; hash: string } | undefined> {
    const response = await this.request('GET', `/memory/${key}`, { Accept: 'text/markdown' });
    if (response.status === 404 && (await errorCode(response)) === 'memory_not_found') return undefined;
    const ok = await this.expectOk(response);
    return { content: await ok.text(), hash: (ok.headers.get('etag') ?? '').replace(/"/g, '') };
  }

  /** Writes a whole memory file; `base` is the hash it must replace (undefined: it must not exist yet). */
  async putRaw(key: string, content: string, base: string | undefined): Promise<PushResult> {
    const guard: Record<string, string> = base === undefined ? { 'If-None-Match': '*' } : { 'If-Match': `"${base}"` };
    const response = await this.request('PUT', `/memory/${key}`, { 'Content-Type': 'text/markdown', ...guard }, content);
    if (response.status === 412) return { ok: false };
    const body = (await (await this.expectOk(response)).json()) as { hash: string };
    return { ok: true, hash: body.hash };
  }

  /** Deletes a memory if it still has hash `base`; a memory already gone counts as deleted. */
  async remove(key: string, base: string): Promise<PushResult> {
    const response = await this.request('DELETE', `/memory/${key}`, { 'If-Match': `"${base}"` });
    if (response.status === 412) return { ok: false };
    if (response.status === 404 && (await errorCode(response)) === 'memory_not_found') return { ok: true, hash: '' };
    await this.expectOk(response);
    return { ok: true, hash: '' };
  }

  private async request(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Response> {
    const all: Record<string, string> = { 'X-Mycelium-Handle': this.handle, ...headers };
    if (this.token) all.Authorization = `Bearer ${this.token}`;
    try {
      return await fetch(this.roomUrl + path, { method, headers: all, body });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new RemoteUnreachableError(
        `cannot reach ${this.roomUrl} (${cause?.code ?? cause?.message ?? (err as Error).message}); check the address or your network and run \`mycelium sync\` again; nothing was lost`,
      );
    }
  }

  private async expectOk(response: Response): Promise<Response> {
    if (response.ok) return response;
    const text = await response.text();
    let message = text.slice(0, 200);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the text
    }
    if (response.status === 401) {
      throw new InvalidInputError(`${this.roomUrl} refused the token; pass --token or set MYCELIUM_TOKEN (the token is never stored)`);
    }
    if (response.status === 404) throw new RoomNotFoundError(`${this.roomUrl}: ${message}`);
    if (response.status === 429) {
      throw new SyncFailedError(`${this.roomUrl} is rate-limiting this client; retry in ${response.headers.get('retry-after') ?? 'a few'} s`);
    }
    throw new SyncFailedError(`${this.roomUrl} answered ${response.status} (${message}); nothing was lost, run \`mycelium sync\` again`);
  }
}

async function errorCode(response: Response): Promise<string | undefined> {
  try {
    return ((await response.clone().json()) as { error?: string }).error;
  } catch {
    return undefined;
  }
}
