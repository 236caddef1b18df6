import { isUtf8 } from 'node:buffer';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { InvalidInputError, RemoteUnreachableError, RoomNotFoundError, SyncFailedError } from '../errors.js';
import type { FeedEntry, FeedPage } from './feed-types.js';

export type RemoteChange = FeedEntry;
export type RemotePage = FeedPage;

/** The cursor is older than the server's event log keeps (410): read the feed again from 0 (applying is idempotent). */
/** A server that answered 401: the same error wherever a CLI talks to a server (sync, claims, negotiation). */
export function tokenRefusedError(url: string): InvalidInputError {
  return new InvalidInputError(`${url} refused the token; pass --token or set MYCELIUM_TOKEN (the token is never stored)`);
}

export class FeedWasReset extends Error {}

/** Outcome of a guarded write: done with the new hash, or the server had another version. */
export type PushResult = { ok: true; hash: string } | { ok: false };

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body decoded as UTF-8 (JSON and error replies). */
  body: string;
  /** The body's exact bytes (a memory file). */
  bytes: Buffer;
}

/**
 * Talks to one room on a mycelium server. The token is sent, never stored. Uses node:http rather
 * than fetch: fetch loads undici on first use, which costs a short-lived CLI process ~50 ms.
 */
export class RoomClient {
  readonly roomUrl: string;
  constructor(
    roomUrl: string,
    private readonly token: string | undefined,
    private readonly handle: string,
  ) {
    this.roomUrl = roomUrl.replace(/\/+$/, '');
  }

  /**
   * One page of the change feed with each file; `onSent` is called once the request is on the wire.
   * `encoding=base64` asks for files that are not UTF-8 as bytes (fileBytes reads either form; an
   * older server ignores it and sends text).
   */
  async changes(since: string, limit: number, onSent?: () => void): Promise<RemotePage> {
    const reply = await this.request('GET', `/changes?since=${encodeURIComponent(since)}&limit=${limit}&content=1&encoding=base64`, {}, undefined, onSent);
    if (reply.status === 410) throw new FeedWasReset();
    return JSON.parse(this.expectOk(reply).body) as RemotePage;
  }

  /** A memory file's exact bytes and their hash (the ETag); undefined when there is none. */
  async getRaw(key: string): Promise<{ content: Buffer; hash: string } | undefined> {
    const reply = await this.request('GET', `/memory/${key}`, { Accept: 'application/octet-stream, text/markdown;q=0.9' });
    if (reply.status === 404 && errorCode(reply) === 'memory_not_found') return undefined;
    const etag = String(this.expectOk(reply).headers.etag ?? '');
    return { content: reply.bytes, hash: etag.replace(/"/g, '') };
  }

  /**
   * Writes a whole memory file as its exact bytes; `base` is the hash it must replace (undefined: it
   * must not exist yet). UTF-8 goes as text/markdown, which every server version takes; other bytes as
   * application/octet-stream, which a server older than that refuses (415) rather than decode them.
   */
  async putRaw(key: string, content: Buffer, base: string | undefined): Promise<PushResult> {
    const guard: Record<string, string> = base === undefined ? { 'If-None-Match': '*' } : { 'If-Match': `"${base}"` };
    const type = isUtf8(content) ? 'text/markdown; charset=utf-8' : 'application/octet-stream';
    const reply = await this.request('PUT', `/memory/${key}`, { 'Content-Type': type, ...guard }, content);
    if (reply.status === 412) return { ok: false };
    if (reply.status === 415) {
      throw new SyncFailedError(`${this.roomUrl} cannot store '${key}' exactly (its bytes are not UTF-8 and the server is older than mycelium's byte-exact sync); upgrade the server, nothing was lost`);
    }
    return { ok: true, hash: (JSON.parse(this.expectOk(reply).body) as { hash: string }).hash };
  }

  /** Deletes a memory if it still has hash `base`; a memory already gone counts as deleted. */
  async remove(key: string, base: string): Promise<PushResult> {
    const reply = await this.request('DELETE', `/memory/${key}`, { 'If-Match': `"${base}"` });
    if (reply.status === 412) return { ok: false };
    if (!(reply.status === 404 && errorCode(reply) === 'memory_not_found')) this.expectOk(reply);
    return { ok: true, hash: '' };
  }

  private request(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer, onSent?: () => void): Promise<Reply> {
    const all: Record<string, string> = { 'X-Mycelium-Handle': this.handle, ...headers };
    if (this.token) all.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) all['Content-Length'] = String(Buffer.byteLength(body));
    const url = new URL(this.roomUrl + path);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers: all }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes });
        });
        res.on('error', (err) => reject(this.unreachable(err)));
      });
      req.setTimeout(30_000, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(this.unreachable(err)));
      if (onSent) req.once('finish', onSent);
      req.end(body);
    });
  }

  private unreachable(err: Error): RemoteUnreachableError {
    return new RemoteUnreachableError(
      `cannot reach ${this.roomUrl} (${(err as NodeJS.ErrnoException).code ?? err.message}); check the address or your network and run \`mycelium sync\` again; nothing was lost`,
    );
  }

  private expectOk(reply: Reply): Reply {
    if (reply.status >= 200 && reply.status < 300) return reply;
    let message = reply.body.slice(0, 200);
    try {
      message = (JSON.parse(reply.body) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the text
    }
    if (reply.status === 401) {
      throw tokenRefusedError(this.roomUrl);
    }
    if (reply.status === 404) throw new RoomNotFoundError(`${this.roomUrl}: ${message}`);
    if (reply.status === 429) {
      throw new SyncFailedError(`${this.roomUrl} is rate-limiting this client; retry in ${reply.headers['retry-after'] ?? 'a few'} s`);
    }
    throw new SyncFailedError(`${this.roomUrl} answered ${reply.status} (${message}); nothing was lost, run \`mycelium sync\` again`);
  }
}

function errorCode(reply: Reply): string | undefined {
  try {
    return (JSON.parse(reply.body) as { error?: string }).error;
  } catch {
    return undefined;
  }
}
