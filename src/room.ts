import { lstat, readdir, readlink, rmdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  KNOWN_FIELDS,
  decodeBody,
  encodeBody,
  interpretValue,
  parseMemoryFile,
  previewLine,
  readHeader,
  serializeMemoryFile,
  type ValueFormat,
} from './codec.js';
import { roomsDir } from './config.js';
import { contentHash } from './content-hash.js';
import {
  ConflictError,
  InvalidInputError,
  MyceliumError,
  MemoryNotFoundError,
  RoomNotFoundError,
  ValueTooLargeError,
  ioError,
} from './errors.js';
import { createFileExclusive, writeFileAtomic } from './fs-atomic.js';
import { checkWritable, readConfined } from './fs-confined.js';
import { isValidKeyFolder, memoryPath, normalizeKey, validateRoomName } from './keys.js';
import { caseTwinOf } from './key-case.js';
import { withLock } from './lock.js';
import { checkPrecondition, type Precondition } from './precondition.js';
import { memoryKeysIn } from './room-scan.js';
import type { Env } from './settings.js';

/** Default largest value, in bytes; `MYCELIUM_MAX_VALUE_BYTES` overrides it. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

/** Room a raw memory file may take beyond the value limit, for its frontmatter. */
const RAW_FRONTMATTER_ALLOWANCE = 64 * 1024;

/** `MYCELIUM_MAX_VALUE_BYTES` of the environment a face hands down; a setting that is not a whole number above 0 is an error naming it. */
export function maxValueBytes(env: Env): number {
  const setting = env.MYCELIUM_MAX_VALUE_BYTES;
  if (setting === undefined || setting.trim() === '') return DEFAULT_MAX_VALUE_BYTES;
  const parsed = Number(setting);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new InvalidInputError(`MYCELIUM_MAX_VALUE_BYTES must be a whole number of bytes above 0, got '${setting.slice(0, 40)}'; fix or unset it`);
  }
  return parsed;
}

/** How a room is opened: the limits a face resolved from its settings. */
export interface RoomOptions {
  /**
   * Largest value accepted, in bytes; default DEFAULT_MAX_VALUE_BYTES (1 MiB). A function is asked at
   * each write, so a face can hand down `() => maxValueBytes(env)` and a bad setting fails the write
   * that needs it, never a read.
   */
  maxValueBytes?: number | (() => number);
}

/** The room options of an environment a face hands down: its MYCELIUM_MAX_VALUE_BYTES, read at each write. */
export function roomOptions(env: Env): RoomOptions {
  return { maxValueBytes: () => maxValueBytes(env) };
}

/** A memory as read back: its value plus everything its frontmatter says. */
export interface Memory {
  room: string;
  key: string;
  value: unknown;
  format: ValueFormat;
  /** Counts the writes mycelium made; 0 for a file written by hand with no frontmatter. */
  version: number;
  tags: string[];
  created_by: string | null;
  created_at: string | null;
  updated_by: string | null;
  updated_at: string | null;
  path: string;
  /** Frontmatter keys a person added, kept across writes. */
  extra: Record<string, unknown>;
  /** Problems found reading the file (broken frontmatter, unparseable JSON), each naming the file. */
  warnings: string[];
}

/** One row of `memory ls`. */
export interface MemorySummary {
  key: string;
  version: number;
  updated_at: string | null;
  updated_by: string | null;
  tags: string[];
  first_line: string;
}

export interface SetOptions {
  /** Who writes: stored as updated_by (and created_by on the first write). */
  handle: string;
  /** 'auto' (default) stores JSON objects and arrays given as strings as JSON. */
  format?: ValueFormat | 'auto';
  /** Replaces the tags; undefined keeps the existing ones. */
  tags?: string[];
  /** Refuse with ConflictError unless the current version is this (0 = must not exist yet). */
  ifVersion?: number;
  /** Refuse with PreconditionFailedError unless the file is in this state (HTTP If-Match / If-None-Match). */
  guard?: Precondition;
  /** Overrides the value size limit (bytes). */
  maxBytes?: number;
  /**
   * Extra frontmatter fields to write (coordination files: `from`, `mentions`, `holder`, …). They
   * replace fields of the same name a person added; mycelium's own fields (KNOWN_FIELDS) cannot be
   * set this way. A field set to undefined is removed.
   */
  fields?: Record<string, unknown>;
}

/** What an update's transform returns: the new value and how to store it, or undefined to write nothing. */
export interface UpdateResult {
  value: unknown;
  format?: ValueFormat | 'auto';
  tags?: string[];
  fields?: Record<string, unknown>;
}

/** What a write did: the seam the index, the event log and subscribers hang on. */
export interface Change {
  type: 'created' | 'updated' | 'deleted';
  room: string;
  key: string;
  version: number;
  by: string;
  at: string;
  path: string;
  /** Content hash of the file this write left (null after a delete): the ETag of what this call wrote. */
  hash: string | null;
}

export interface ListOptions {
  prefix?: string;
  limit?: number;
  /** Only keys sorted after this one (paging). */
  after?: string;
  /** Key folders (each ending in `/`) left out without being walked into, e.g. the message store `messages/`. */
  skip?: readonly string[];
}

/** A memory file's exact content and its hash. */
export interface RawMemory {
  key: string;
  /** The file decoded as UTF-8 (bytes that are not UTF-8 become U+FFFD here; `bytes` keeps them). */
  content: string;
  /** The file's exact bytes. */
  bytes: Buffer;
  /** contentHash of the bytes: the ETag, the sync base hash, what If-Match compares. */
  hash: string;
}

export function roomDir(home: string, name: string): string {
  return join(roomsDir(home), validateRoomName(name));
}

/**
 * The folder a linked room lives in (`room add`, or any symlink in `rooms/`), or null for a room
 * whose folder is in the home. A linked room is the symlink `rooms/NAME` -> its folder, so every
 * path rule (`roomDir`, the watcher, the index) treats it like any other room.
 */
export async function linkedFolder(home: string, name: string): Promise<string | null> {
  const link = roomDir(home, name);
  const info = await lstat(link).catch(() => undefined);
  if (!info?.isSymbolicLink()) return null;
  return resolve(roomsDir(home), await readlink(link));
}

/** The names of the rooms in a home, sorted: folders, and symlinks to folders (linked rooms). */
export async function roomNames(home: string): Promise<string[]> {
  try {
    const entries = await readdir(roomsDir(home), { withFileTypes: true });
    const names: string[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const linksToFolder = e.isSymbolicLink() && (await stat(join(roomsDir(home), e.name)).catch(() => undefined))?.isDirectory();
      if (e.isDirectory() || linksToFolder) names.push(e.name);
    }
    return names.sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw ioError('read', roomsDir(home), err);
  }
}

/** A room: a folder of markdown memories. All reads and writes of memories go through here. */
export class Room {
  private constructor(
    readonly home: string,
    readonly name: string,
    readonly dir: string,
    private readonly options: RoomOptions,
  ) {}

  /** Opens an existing room; an unknown room is an error that lists the rooms there are. */
  static async open(home: string, name: string, options: RoomOptions = {}): Promise<Room> {
    const dir = roomDir(home, name);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) {
      const linked = await linkedFolder(home, name).catch(() => null);
      if (linked !== null) {
        throw new RoomNotFoundError(`room '${name}' lives in ${linked}, which is missing; bring the folder back or forget the room with \`mycelium room rm ${name}\``);
      }
      const names = await roomNames(home);
      const known = names.length > 0 ? `rooms: ${names.join(', ')}` : 'no rooms yet';
      throw new RoomNotFoundError(`unknown room '${name}' (${known}); create it with \`mycelium room create ${name}\``);
    }
    return new Room(home, name, dir, options);
  }

  /** The largest value this room accepts, in bytes (RoomOptions.maxValueBytes, asked now). */
  maxValueBytes(): number {
    const limit = this.options.maxValueBytes;
    return typeof limit === 'function' ? limit() : (limit ?? DEFAULT_MAX_VALUE_BYTES);
  }

  pathOf(key: string): string {
    return memoryPath(this.dir, key);
  }

  /** Reads a memory. Files written by hand (no or broken frontmatter) are read too, with warnings. */
  async get(keyInput: string): Promise<Memory> {
    const key = normalizeKey(keyInput);
    const path = this.pathOf(key);
    const memory = await this.read(key, path);
    if (!memory) throw new MemoryNotFoundError(`no memory '${key}' in room '${this.name}'; list keys with \`mycelium memory ls\``);
    return memory;
  }

  /** Writes a memory atomically under a per-key lock; returns what changed. */
  async set(keyInput: string, input: unknown, options: SetOptions): Promise<Change> {
    const key = normalizeKey(keyInput);
    const path = this.pathOf(key);
    const prepared = this.prepare(input, options.format, options.maxBytes);
    return withLock(this.home, `${this.name}/${key}`, async () => {
      await checkWritable(this.dir, path);
      if (options.guard) await checkPrecondition(this.name, key, path, options.guard);
      const current = await this.read(key, path);
      const currentVersion = current?.version ?? 0;
      if (options.ifVersion !== undefined && options.ifVersion !== currentVersion) {
        throw new ConflictError(
          `version conflict on '${key}': expected ${options.ifVersion}, found ${currentVersion}; get it again and retry`,
        );
      }
      return this.writeLocked(key, path, current, prepared, options.handle, options.tags, options.fields);
    });
  }

  /**
   * Creates a memory that must never be rewritten (messages): an exclusive create, so a key that
   * exists already is a ConflictError and the file there is left as it is. Needs no lock.
   */
  async create(keyInput: string, input: unknown, options: Omit<SetOptions, 'ifVersion' | 'guard'>): Promise<Change> {
    const key = normalizeKey(keyInput);
    const path = this.pathOf(key);
    const prepared = this.prepare(input, options.format, options.maxBytes);
    await checkWritable(this.dir, path);
    return this.writeLocked(key, path, undefined, prepared, options.handle, options.tags, options.fields, true);
  }

  /**
   * Read-modify-write of one memory under its lock: `transform` sees the current memory (undefined
   * when there is none) and returns the new value, or undefined to leave the file as it is (then
   * update returns undefined). The transform must be pure: it may run again if a caller retries.
   */
  async update(
    keyInput: string,
    handle: string,
    transform: (current: Memory | undefined) => UpdateResult | undefined | Promise<UpdateResult | undefined>,
    options: { maxBytes?: number } = {},
  ): Promise<Change | undefined> {
    const key = normalizeKey(keyInput);
    const path = this.pathOf(key);
    return withLock(this.home, `${this.name}/${key}`, async () => {
      await checkWritable(this.dir, path);
      const current = await this.read(key, path);
      const next = await transform(current);
      if (next === undefined) return undefined;
      const prepared = this.prepare(next.value, next.format, options.maxBytes);
      return this.writeLocked(key, path, current, prepared, handle, next.tags, next.fields);
    });
  }

  /** Checks a value against the size limit and encodes its body. */
  private prepare(input: unknown, formatOption: ValueFormat | 'auto' | undefined, maxBytes: number | undefined) {
    const { value, format } = interpretValue(input, formatOption ?? 'auto');
    const body = encodeBody(value, format);
    const limit = maxBytes ?? this.maxValueBytes();
    const size = Buffer.byteLength(typeof input === 'string' ? input : body);
    if (size > limit) {
      throw new ValueTooLargeError(
        `value is ${size} bytes, over the ${limit}-byte limit; store less or raise MYCELIUM_MAX_VALUE_BYTES`,
      );
    }
    return { body, format };
  }

  /** The write itself, with the key's lock held and the current memory read. */
  private async writeLocked(
    key: string,
    path: string,
    current: Memory | undefined,
    prepared: { body: string; format: ValueFormat },
    handle: string,
    tags: string[] | undefined,
    fields: Record<string, unknown> | undefined,
    exclusive = false,
  ): Promise<Change> {
    const currentVersion = current?.version ?? 0;
    if (!current && !exclusive) await this.refuseCaseTwin(key);
    const at = new Date().toISOString();
    const extra: Record<string, unknown> = { ...(current?.extra ?? {}) };
    for (const [field, value] of Object.entries(fields ?? {})) {
      if ((KNOWN_FIELDS as readonly string[]).includes(field)) continue;
      if (value === undefined) delete extra[field];
      else extra[field] = value;
    }
    const meta: Record<string, unknown> = {
      ...extra,
      key,
      created_by: current?.created_by ?? handle,
      created_at: current?.created_at ?? at,
      updated_by: handle,
      updated_at: at,
      version: currentVersion + 1,
      tags: tags !== undefined ? normalizeTags(tags) : (current?.tags ?? []),
      format: prepared.format === 'json' ? 'json' : undefined,
    };
    const content = serializeMemoryFile(meta, prepared.body);
    let created = true;
    try {
      if (exclusive) created = await createFileExclusive(path, content);
      else await writeFileAtomic(path, content);
    } catch (err) {
      throw ioError('write', path, err);
    }
    if (!created) throw new ConflictError(`'${key}' exists already in room '${this.name}' and is never rewritten; use a new key`);
    return {
      type: current ? 'updated' : 'created',
      room: this.name,
      key,
      version: currentVersion + 1,
      by: handle,
      at,
      path,
      hash: contentHash(content),
    };
  }

  /** A new key that differs only in case from an existing key or folder is a conflict (one file on macOS and Windows). */
  private async refuseCaseTwin(key: string): Promise<void> {
    const twin = await caseTwinOf(this.dir, key);
    if (twin !== null) {
      throw new ConflictError(
        `'${key}' differs only in case from '${twin}' in room '${this.name}'; use '${twin}' (on macOS and Windows checkouts the two would be one file)`,
      );
    }
  }

  /** Reads a memory file's exact bytes, the same decoded as UTF-8, and the hash of the bytes; undefined when there is none. */
  async readRaw(keyInput: string): Promise<RawMemory | undefined> {
    const key = normalizeKey(keyInput);
    const bytes = await readConfined(this.dir, this.pathOf(key));
    if (bytes === undefined) return undefined;
    return { key, content: bytes.toString('utf8'), bytes, hash: contentHash(bytes) };
  }

  /**
   * Writes a memory file exactly as given (frontmatter and all): how sync replicates files so both
   * sides hold the same bytes (a string is written as UTF-8; bytes are written as they are, UTF-8 or
   * not). Atomic, under the key's lock, after checking the precondition.
   */
  async writeRaw(keyInput: string, content: string | Uint8Array, handle: string, guard: Precondition = {}): Promise<Change & { hash: string }> {
    const key = normalizeKey(keyInput);
    const limit = this.maxValueBytes() + RAW_FRONTMATTER_ALLOWANCE;
    const size = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    if (size > limit) {
      throw new ValueTooLargeError(`memory file is ${size} bytes, over the ${limit}-byte limit; store less or raise MYCELIUM_MAX_VALUE_BYTES`);
    }
    const path = this.pathOf(key);
    return withLock(this.home, `${this.name}/${key}`, async () => {
      await checkWritable(this.dir, path);
      const existed = await checkPrecondition(this.name, key, path, guard);
      try {
        await writeFileAtomic(path, content);
      } catch (err) {
        throw ioError('write', path, err);
      }
      const memory = await this.decode(key, path, typeof content === 'string' ? content : Buffer.from(content).toString('utf8'));
      return {
        type: existed ? 'updated' : 'created',
        room: this.name,
        key,
        version: memory.version,
        by: handle,
        at: new Date().toISOString(),
        path,
        hash: contentHash(content),
      } satisfies Change & { hash: string };
    });
  }

  /** Removes a memory's file and the folders it leaves empty. */
  async remove(keyInput: string, handle: string, guard: Precondition = {}): Promise<Change> {
    const key = normalizeKey(keyInput);
    const path = this.pathOf(key);
    return withLock(this.home, `${this.name}/${key}`, async () => {
      await checkWritable(this.dir, path);
      if (guard.ifHash !== undefined || guard.mustExist) await checkPrecondition(this.name, key, path, guard);
      const current = await this.read(key, path);
      if (!current) throw new MemoryNotFoundError(`no memory '${key}' in room '${this.name}'; nothing removed`);
      try {
        await unlink(path);
      } catch (err) {
        throw ioError('remove', path, err);
      }
      await this.pruneEmptyFolders(key);
      return { type: 'deleted', room: this.name, key, version: current.version, by: handle, at: new Date().toISOString(), path, hash: null };
    });
  }

  /** Lists memories sorted by key, including files written by hand. */
  async list(options: ListOptions = {}): Promise<{ memories: MemorySummary[]; warnings: string[] }> {
    const warnings: string[] = [];
    // A prefix naming folders walks only those (`notes/` does not walk the rest of the room).
    const keys = (await memoryKeysIn(this.dir, warnings, prefixFolder(options.prefix), options.skip)).filter(
      (k) => (!options.prefix || k.startsWith(options.prefix)) && (options.after === undefined || k > options.after),
    );
    const chosen = options.limit !== undefined ? keys.slice(0, options.limit) : keys;
    const memories: MemorySummary[] = [];
    for (const key of chosen) {
      let memory: Memory | undefined;
      try {
        memory = await this.read(key, this.pathOf(key));
      } catch (err) {
        // One bad file (unreadable, a symlink, a FIFO) never breaks the listing of the whole room.
        if (!(err instanceof MyceliumError)) throw err;
        warnings.push(`warning: ${key}: skipped, ${err.message}`);
        continue;
      }
      if (!memory) continue; // removed while we listed
      warnings.push(...memory.warnings);
      memories.push({
        key,
        version: memory.version,
        updated_at: memory.updated_at,
        updated_by: memory.updated_by,
        tags: memory.tags,
        first_line: previewLine(memory.value, memory.format),
      });
    }
    return { memories, warnings };
  }

  /**
   * Every memory key in the room, sorted. Files whose names are not keys are skipped with a warning.
   * `folder` (e.g. `decisions`) walks only that part of the room.
   */
  async keys(warnings: string[] = [], folder = ''): Promise<string[]> {
    return memoryKeysIn(this.dir, warnings, folder);
  }

  private async read(key: string, path: string): Promise<Memory | undefined> {
    const bytes = await readConfined(this.dir, path);
    return bytes === undefined ? undefined : this.decode(key, path, bytes.toString('utf8'));
  }

  private async decode(key: string, path: string, text: string): Promise<Memory> {
    const parsed = parseMemoryFile(text);
    const warnings: string[] = [];
    if (parsed.problem) {
      warnings.push(`warning: ${path}:${parsed.problem.line}: broken frontmatter (${parsed.problem.reason}); read as plain text`);
    }
    const header = readHeader(parsed.meta);
    const decoded = decodeBody(parsed.body, header.format);
    if (decoded.problem) warnings.push(`warning: ${path}: ${decoded.problem}; read as plain text`);
    let fallbackTime: string | null = null;
    if (!parsed.hasFrontmatter || header.updated_at === null) {
      fallbackTime = (await stat(path).catch(() => undefined))?.mtime.toISOString() ?? null;
    }
    return {
      room: this.name,
      key,
      value: decoded.value,
      format: decoded.format,
      version: header.version,
      tags: header.tags,
      created_by: header.created_by,
      created_at: header.created_at ?? fallbackTime,
      updated_by: header.updated_by,
      updated_at: header.updated_at ?? fallbackTime,
      path,
      extra: header.extra,
      warnings,
    };
  }

  private async pruneEmptyFolders(key: string): Promise<void> {
    const segments = key.split('/').slice(0, -1);
    for (let depth = segments.length; depth > 0; depth--) {
      try {
        await rmdir(join(this.dir, ...segments.slice(0, depth)));
      } catch {
        return; // not empty (or already gone): stop climbing
      }
    }
  }
}

/** Every memory key under a room folder, sorted (the walk lives with the memory-file rule, in room-scan.ts). */
export { memoryKeysIn };

/** The folders a key prefix lies in (`notes/sub/x` → `notes/sub`), or '' (the whole room) when it names none that can hold keys. */
function prefixFolder(prefix: string | undefined): string {
  const segments = (prefix ?? '').split('/').slice(0, -1);
  return segments.length > 0 && segments.every(isValidKeyFolder) ? segments.join('/') : '';
}

/**
 * The one tag rule, for every face: each tag trimmed, empty ones dropped, duplicates removed, control
 * characters refused. A tag may hold a comma (only the CLI's `--tags a,b` syntax splits on commas).
 */
export function normalizeTags(tags: readonly string[]): string[] {
  const kept = tags.map((t) => t.trim()).filter((t) => t.length > 0);
  for (const tag of kept) {
    if (/[\x00-\x1f\x7f]/.test(tag)) throw new InvalidInputError(`invalid tag '${JSON.stringify(tag).slice(1, -1)}': control characters are not allowed`);
  }
  return [...new Set(kept)];
}

/** Parses the CLI's `--tags a,b` list: split on commas, then the tag rule. */
export function parseTags(text: string): string[] {
  return normalizeTags(text.split(','));
}
