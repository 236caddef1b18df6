import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ValueFormat } from '../codec.js';
import { memoryListSkip } from '../coord/messages/format.js';
import { InvalidInputError, MemoryNotFoundError } from '../errors.js';
import { normalizeKey } from '../keys.js';
import { memoryRecord } from '../memory-record.js';
import { Room, type Change } from '../room.js';
import type { ServerContext } from './app.js';
import { forwardHttpWrite } from './routes-synthesis.js';
import { handleOf, objectBody, preconditionOf, queryNumber, setEtag } from './request.js';

type RoomParams = { room: string };
type MemoryParams = { room: string; '*': string };

/** Listing pages hold at most this many memories; `next_cursor` leads to the rest (never a silent cap). */
const MAX_PAGE = 1000;

/** GET|PUT|DELETE /rooms/:room/memory/<key> and GET /rooms/:room/memory (paged). */
export function registerMemoryRoutes(app: FastifyInstance, { home, daemon, openRoom }: ServerContext): void {
  const keyOf = (request: FastifyRequest<{ Params: MemoryParams }>) => normalizeKey(request.params['*']);

  app.get<{ Params: RoomParams; Querystring: Record<string, string> }>('/rooms/:room/memory', async (request) => {
    const room = await openRoom(request.params.room);
    const limit = queryNumber(request.query.limit, 'limit', 100, 1, MAX_PAGE);
    const after = request.query.cursor ? decodeCursor(request.query.cursor) : undefined;
    const prefix = request.query.prefix || undefined;
    const { memories } = await room.list({ prefix, after, limit: limit + 1, skip: memoryListSkip(prefix) });
    const page = memories.slice(0, limit);
    const more = memories.length > limit;
    return {
      room: room.name,
      memories: page,
      next_cursor: more ? Buffer.from(page[page.length - 1].key).toString('base64url') : null,
    };
  });

  app.get<{ Params: MemoryParams }>('/rooms/:room/memory/*', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const key = keyOf(request);
    const raw = await room.readRaw(key);
    if (!raw) throw new MemoryNotFoundError(`no memory '${key}' in room '${room.name}'`);
    setEtag(reply, raw.hash);
    // The whole file is sent as its exact bytes, whichever of the two is asked for.
    if (wantsBytes(request)) return reply.type('application/octet-stream').send(raw.bytes);
    if (wantsMarkdown(request)) return reply.type('text/markdown; charset=utf-8').send(raw.bytes);
    const { path: _path, ...record } = memoryRecord(await room.get(key));
    return { ...record, hash: raw.hash };
  });

  app.put<{ Params: MemoryParams }>('/rooms/:room/memory/*', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const key = keyOf(request);
    const handle = handleOf(request);
    const guard = preconditionOf(request);
    let change: Change;
    if (Buffer.isBuffer(request.body)) {
      // application/octet-stream: the whole file as exact bytes, UTF-8 or not.
      change = await room.writeRaw(key, request.body, handle, guard);
    } else if (typeof request.body === 'string' && isTextBody(request)) {
      // text/markdown: the whole file as UTF-8 text, frontmatter and all, kept byte for byte.
      change = await room.writeRaw(key, request.body, handle, guard);
    } else {
      const body = objectBody(request.body);
      if (!('value' in body)) throw new InvalidInputError("the body needs a 'value' (text, or any JSON)");
      change = await room.set(key, body.value, { handle, format: formatOf(body.format), tags: tagsOf(body.tags), guard });
      await forwardHttpWrite(home, room.name, key, body.value, handle); // issue 17: queued only; the daemon delivers
    }
    // The hash of what this request wrote, not a re-read (another writer may have come since).
    const hash = change.hash ?? '';
    await daemon.touched(room.name, key);
    setEtag(reply, hash);
    return reply.code(change.type === 'created' ? 201 : 200).send({ room: room.name, key, version: change.version, hash });
  });

  app.delete<{ Params: MemoryParams }>('/rooms/:room/memory/*', async (request) => {
    const room = await openRoom(request.params.room);
    const key = keyOf(request);
    const handle = handleOf(request);
    await room.remove(key, handle, preconditionOf(request));
    await daemon.touched(room.name, key);
    return { room: room.name, key, removed: true };
  });
}

/** A text/markdown or text/plain body (a whole file); a JSON string is no file and is refused as JSON. */
function isTextBody(request: FastifyRequest): boolean {
  return /^text\/(markdown|plain)\b/i.test(request.headers['content-type'] ?? '');
}

function wantsBytes(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/octet-stream');
}

function wantsMarkdown(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/markdown') && !accept.includes('application/json');
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  try {
    return normalizeKey(key);
  } catch {
    throw new InvalidInputError('invalid cursor; pass the next_cursor a previous page returned');
  }
}

function formatOf(format: unknown): ValueFormat | 'auto' {
  if (format === undefined) return 'auto';
  if (format === 'auto' || format === 'text' || format === 'json') return format;
  throw new InvalidInputError("'format' must be auto, text or json");
}

function tagsOf(tags: unknown): string[] | undefined {
  if (tags === undefined) return undefined;
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
    throw new InvalidInputError("'tags' must be a list of strings");
  }
  return tags;
}
