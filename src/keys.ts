import { join } from 'node:path';
import { InvalidKeyError } from './errors.js';

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

/** The whole canonical key grammar in one pattern (`normalizeKey` explains what is wrong; this only answers yes or no). */
const CANONICAL_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}(?:\/[A-Za-z0-9][A-Za-z0-9._-]{0,199})*$/; // ASCII: 200 characters = MAX_SEGMENT_BYTES

/** True when `key` is a valid canonical key (no throwing; fast enough for walks of whole rooms). */
export function isValidKey(key: string): boolean {
  return key.length <= MAX_KEY_LENGTH && CANONICAL_KEY.test(key) && !key.endsWith('.md');
}

/** The file that holds `key` inside a room folder. */
export function memoryPath(roomDir: string, key: string): string {
  return join(roomDir, ...normalizeKey(key).split('/')) + '.md';
}
