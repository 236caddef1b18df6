import { join } from 'node:path';
import { InvalidKeyError } from './errors.js';

/** Longest key accepted, in characters. */
export const MAX_KEY_LENGTH = 512;

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkSegment(segment: string, what: string, whole: string): void {
  if (segment === '') {
    throw new InvalidKeyError(`invalid ${what} '${printable(whole)}': empty segment; use names like decisions/db`);
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
  for (const segment of key.split('/')) checkSegment(segment, 'key', input);
  if (key.endsWith('.md')) {
    throw new InvalidKeyError(`invalid key '${printable(input)}': it must not end in '.md'`);
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
  return name;
}

/** One segment of a canonical key; the whole key grammar is built from it (`normalizeKey` explains what is wrong; these only answer yes or no). */
const CANONICAL_KEY = new RegExp(`^${SEGMENT.source.slice(1, -1)}(?:\\/${SEGMENT.source.slice(1, -1)})*$`);

/** True when `segment` may be one segment of a key (a folder name walked in a room). */
export function isValidKeySegment(segment: string): boolean {
  return SEGMENT.test(segment);
}

/**
 * For walks of whole rooms, without re-checking the folders per file: true when `prefix` (valid
 * segments each followed by '/', or '') plus `last` is a valid key; the same answer as `isValidKey`.
 */
export function isValidKeyIn(prefix: string, last: string): boolean {
  return prefix.length + last.length <= MAX_KEY_LENGTH && SEGMENT.test(last) && !last.endsWith('.md');
}

/** True when `key` is a valid canonical key (no throwing; fast enough for walks of whole rooms). */
export function isValidKey(key: string): boolean {
  return key.length <= MAX_KEY_LENGTH && CANONICAL_KEY.test(key) && !key.endsWith('.md');
}

/** The file that holds `key` inside a room folder. */
export function memoryPath(roomDir: string, key: string): string {
  return join(roomDir, ...normalizeKey(key).split('/')) + '.md';
}
