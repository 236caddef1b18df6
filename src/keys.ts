import { join } from 'node:path';
import { InvalidKeyError } from './errors.js';

/**
 * The one rule for which files are memories. A key is a `/`-separated list of segments; its file is
 * `<room>/<segments>.md`. The watcher and git never look at names that editors and our own atomic
 * writes use for scratch files (below), so a folder segment with such a name is refused here: any
 * key `normalizeKey` accepts is one the watcher reports and git sync commits.
 */

/** Endings of scratch names (temp, swap, backup) that the watcher and git ignore. */
export const IGNORED_NAME_ENDINGS: readonly string[] = ['.tmp', '.swp', '.swx', '~'];

/**
 * True for a file or folder name that is never part of a memory's path: hidden names (`.git`, our
 * temp files `.<name>.<pid>.<hex>.tmp`, emacs locks `.#x`) and scratch names (IGNORED_NAME_ENDINGS).
 */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || IGNORED_NAME_ENDINGS.some((ending) => name.endsWith(ending));
}

/** True when any segment of a `/`-separated relative path is ignored. */
export function isIgnoredPath(relativePath: string): boolean {
  return relativePath.split('/').some((segment) => segment !== '' && isIgnoredName(segment));
}

/**
 * The patterns of `.git/info/exclude` in a shared room, made from the same rule: git must not
 * commit what the watcher ignores. (Other hidden files are left to git: they are never memories.)
 */
export function gitExcludePatterns(): string[] {
  return [...IGNORED_NAME_ENDINGS.map((ending) => `*${ending}`), '.#*'];
}

/** Longest key accepted, in characters. */
export const MAX_KEY_LENGTH = 512;

/** Longest key segment, in bytes: a file name holds 255, and the last segment gets '.md' (and temp names more). */
export const MAX_SEGMENT_BYTES = 200;

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkSegment(segment: string, what: string, whole: string): void {
  if (segment === '') {
    throw new InvalidKeyError(`invalid ${what} '${printable(whole)}': empty segment; use names like decisions/db`);
  }
  if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
    throw new InvalidKeyError(
      `invalid ${what} '${printable(whole)}': a segment is ${Buffer.byteLength(segment)} bytes, the limit is ${MAX_SEGMENT_BYTES} (file names hold 255 with '.md')`,
    );
  }
  if (!SEGMENT.test(segment)) {
    throw new InvalidKeyError(
      `invalid ${what} '${printable(whole)}': segment '${printable(segment)}' must start with a letter or digit ` +
        `and hold only letters, digits, '.', '_' and '-'`,
    );
  }
}

function printable(text: string): string {
  const shown = text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

/**
 * Validates a memory key and returns its canonical form.
 * A trailing `.md` is stripped, so people can type the file name.
 */
export function normalizeKey(input: string): string {
  if (typeof input !== 'string' || input.length === 0) {
    throw new InvalidKeyError('invalid key: it is empty; use names like decisions/db');
  }
  if (input.length > MAX_KEY_LENGTH) {
    throw new InvalidKeyError(`invalid key: ${input.length} characters, the limit is ${MAX_KEY_LENGTH}`);
  }
  const key = input.endsWith('.md') ? input.slice(0, -3) : input;
  if (key.startsWith('/')) {
    throw new InvalidKeyError(`invalid key '${printable(input)}': keys are relative to the room; drop the leading '/'`);
  }
  const segments = key.split('/');
  for (const segment of segments) checkSegment(segment, 'key', input);
  if (key.endsWith('.md')) {
    throw new InvalidKeyError(`invalid key '${printable(input)}': it must not end in '.md'`);
  }
  // The last segment's file is `<segment>.md`, never ignored; a folder is ignored by its own name.
  const folder = segments.slice(0, -1).find(isIgnoredName);
  if (folder !== undefined) {
    throw new InvalidKeyError(
      `invalid key '${printable(input)}': folder '${printable(folder)}' ends in ${IGNORED_NAME_ENDINGS.find((e) => folder.endsWith(e))}, ` +
        `a scratch name the watcher and git ignore; rename the folder`,
    );
  }
  return key;
}

/** Validates a room name: a single key segment. */
export function validateRoomName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidKeyError('invalid room name: it is empty');
  }
  if (name.includes('/')) {
    throw new InvalidKeyError(`invalid room name '${printable(name)}': a room name has no '/'`);
  }
  if (name.length > MAX_KEY_LENGTH) {
    throw new InvalidKeyError(`invalid room name: ${name.length} characters, the limit is ${MAX_KEY_LENGTH}`);
  }
  checkSegment(name, 'room name', name);
  if (isIgnoredName(name)) {
    throw new InvalidKeyError(`invalid room name '${printable(name)}': it ends in a scratch name the watcher and git ignore; pick another`);
  }
  return name;
}

/** One canonical segment (ASCII: 200 characters = MAX_SEGMENT_BYTES); the whole key grammar below is built from it. */
const SEGMENT_PATTERN = '[A-Za-z0-9][A-Za-z0-9._-]{0,199}';
const CANONICAL_SEGMENT = new RegExp(`^${SEGMENT_PATTERN}$`);

/** The whole canonical key grammar in one pattern (`normalizeKey` explains what is wrong; this only answers yes or no). */
const CANONICAL_KEY = new RegExp(`^${SEGMENT_PATTERN}(?:\\/${SEGMENT_PATTERN})*$`);

/**
 * True when `name` may be a folder segment of a key (a folder a walk of a room descends into): a
 * canonical segment that is not an ignored name (the folder rule of `normalizeKey`).
 */
export function isValidKeyFolder(name: string): boolean {
  return CANONICAL_SEGMENT.test(name) && !isIgnoredName(name);
}

/**
 * For walks of whole rooms, without re-checking the folders per file: true when `prefix` (folders
 * that each pass `isValidKeyFolder`, each followed by '/', or '') plus `last` is a valid key; the
 * same answer as `isValidKey(prefix + last)`.
 */
export function isValidKeyIn(prefix: string, last: string): boolean {
  return prefix.length + last.length <= MAX_KEY_LENGTH && CANONICAL_SEGMENT.test(last) && !last.endsWith('.md');
}

/** True when `key` is a valid canonical key (no throwing; fast enough for walks of whole rooms). */
export function isValidKey(key: string): boolean {
  if (key.length > MAX_KEY_LENGTH || !CANONICAL_KEY.test(key) || key.endsWith('.md')) return false;
  const lastSlash = key.lastIndexOf('/');
  return lastSlash === -1 || !isIgnoredPath(key.slice(0, lastSlash));
}

/** The file that holds `key` inside a room folder. */
export function memoryPath(roomDir: string, key: string): string {
  return join(roomDir, ...normalizeKey(key).split('/')) + '.md';
}

/** The memory key a file path (relative to its room, `/`-separated) holds, or null when it holds none. */
export function keyOfFile(relativePath: string): string | null {
  if (!relativePath.endsWith('.md')) return null;
  const key = relativePath.slice(0, -3);
  return isValidKey(key) ? key : null;
}
