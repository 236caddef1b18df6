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

/**
 * The key grammar: the names people give files. A segment may hold any letters (any script), digits,
 * spaces, and punctuation such as `+ _ @ ( ) , ' & ! # = ~ %`, NFC-normalised. It may not hold a
 * control character or line separator, nor any of `\ / : * ? " < > |` (names Windows or macOS
 * checkouts cannot hold); it may not start with '.' (hidden), start or end with a space, end with a
 * '.', be a reserved device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or without an extension),
 * or be over MAX_SEGMENT_BYTES. Case: keys are case-sensitive, but a new key that differs only in
 * case from an existing one is a conflict (see foldKey): checkouts on case-insensitive file systems
 * would make them one file.
 */
const FORBIDDEN_CHARACTER = /[\p{Cc}\p{Cs}\u2028\u2029\\/:*?"<>|]/u;
const RESERVED_NAME = /^(?:con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3])(?:\.|$)/i;
/** Segments of plain ASCII names that pass every rule: the fast path of walks. */
const SIMPLE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._+@-]*$/;

/** Why a segment (already NFC) cannot be part of a key, or null when it can. The one segment rule. */
function segmentProblem(segment: string): string | null {
  if (segment === '') return 'empty segment; use names like decisions/db';
  if (segment === '.' || segment === '..') return `segment '${segment}' is not allowed (no path traversal)`;
  if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
    return `a segment is ${Buffer.byteLength(segment)} bytes, the limit is ${MAX_SEGMENT_BYTES} (file names hold 255 with '.md')`;
  }
  if (SIMPLE_SEGMENT.test(segment) && !segment.endsWith('.') && !RESERVED_NAME.test(segment)) return null;
  if (segment.startsWith('.')) return `segment '${printable(segment)}' starts with '.' (a hidden name); drop the dot`;
  const bad = FORBIDDEN_CHARACTER.exec(segment);
  if (bad) {
    const shown = /[\p{Cc}\p{Cs}\u2028\u2029]/u.test(bad[0]) ? 'a control or broken character' : `'${bad[0]}'`;
    return `segment '${printable(segment)}' holds ${shown}; keys may not hold control characters or \\ / : * ? " < > |`;
  }
  if (/^\s|\s$/u.test(segment)) return `segment '${printable(segment)}' starts or ends with a space; trim it`;
  if (segment.endsWith('.')) return `segment '${printable(segment)}' ends with '.'; drop the dot`;
  if (RESERVED_NAME.test(segment)) return `segment '${printable(segment)}' is a reserved device name on Windows; rename it`;
  return null;
}

function checkSegment(segment: string, what: string, whole: string): void {
  const problem = segmentProblem(segment);
  if (problem) throw new InvalidKeyError(`invalid ${what} '${printable(whole)}': ${problem}`);
}

/**
 * The form two keys share when a case-insensitive file system (macOS, Windows) would store them as
 * one file: `Notes/Plan` and `notes/plan` fold alike. Used to refuse a new key whose twin exists.
 */
export function foldKey(key: string): string {
  return key.normalize('NFC').toUpperCase().toLowerCase();
}

function printable(text: string): string {
  const shown = text.replace(/[\p{Cc}\p{Cs}\u2028\u2029]/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
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
  const nfc = input.normalize('NFC');
  const key = nfc.endsWith('.md') ? nfc.slice(0, -3) : nfc;
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
  // Room names stay plain ASCII: they also name index, event-log, sync-state and lock files, URL path
  // parts and TOML values.
  if (!ROOM_NAME.test(name)) {
    throw new InvalidKeyError(`invalid room name '${printable(name)}': it must start with a letter or digit and hold only letters, digits, '.', '_' and '-'`);
  }
  checkSegment(name, 'room name', name);
  if (isIgnoredName(name)) {
    throw new InvalidKeyError(`invalid room name '${printable(name)}': it ends in a scratch name the watcher and git ignore; pick another`);
  }
  return name;
}

const ROOM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** True when a segment passes the segment rule and is already in NFC form (a name on disk must be). */
function isValidSegment(segment: string): boolean {
  if (SIMPLE_SEGMENT.test(segment)) {
    return segment.length <= MAX_SEGMENT_BYTES && !segment.endsWith('.') && !RESERVED_NAME.test(segment);
  }
  return segmentProblem(segment) === null && segment.normalize('NFC') === segment;
}

/**
 * True when `name` may be a folder segment of a key (a folder a walk of a room descends into): a
 * valid segment that is not an ignored name (the folder rule of `normalizeKey`).
 */
export function isValidKeyFolder(name: string): boolean {
  return isValidSegment(name) && !isIgnoredName(name);
}

/**
 * For walks of whole rooms, without re-checking the folders per file: true when `prefix` (folders
 * that each pass `isValidKeyFolder`, each followed by '/', or '') plus `last` is a valid key; the
 * same answer as `isValidKey(prefix + last)`.
 */
export function isValidKeyIn(prefix: string, last: string): boolean {
  return prefix.length + last.length <= MAX_KEY_LENGTH && isValidSegment(last) && !last.endsWith('.md');
}

/** True when `key` is a valid canonical key, as normalizeKey would return it (no throwing; fast enough for walks of whole rooms). */
export function isValidKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || key.endsWith('.md')) return false;
  const segments = key.split('/');
  const last = segments.pop()!;
  return isValidSegment(last) && segments.every(isValidKeyFolder);
}

/** Why a file name (relative to its room) is not a key, for the one warning a command prints about it. */
export function keyProblemOfFile(relativePath: string): string {
  const key = relativePath.endsWith('.md') ? relativePath.slice(0, -3) : relativePath;
  if (key.normalize('NFC') !== key) return 'its name is not in Unicode NFC form; rename it (most tools do when you retype the name)';
  try {
    normalizeKey(key);
    return 'its name is not a valid key';
  } catch (err) {
    return `its name is not a valid key (${(err as Error).message.replace(/^invalid key '[^']*': /, '')})`;
  }
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
