/**
 * One schema per verb, used by every face (CLI flags, HTTP bodies and queries, MCP arguments): each
 * parser takes the loose input a face has (strings from a command line or a query string, JSON from
 * a body) and returns the library's options, or throws InvalidInputError naming the field.
 */
import { InvalidInputError } from '../../errors.js';
import type { InboxOptions, ListMessagesOptions } from './inbox.js';

/** What a face hands in: parsed flags, a query string, a JSON body; fields are read by name. */
type Loose = object;
const field = (input: Loose, name: string): unknown => (input as Record<string, unknown>)[name];

export interface SendRequest {
  text: string;
  to: string[];
  re?: string;
  kind?: string;
  ref?: string;
}

/** The longest an `await` may block on a request/response face (HTTP, MCP): hosts time calls out. */
export const MAX_FACE_AWAIT_SECONDS = 120;
export const DEFAULT_FACE_AWAIT_SECONDS = 30;
/** A page of `room messages` over HTTP/MCP holds at most this many. */
export const MAX_MESSAGES_PAGE = 1000;

export function parseSendRequest(input: Loose): SendRequest {
  const text = field(input, 'text');
  if (typeof text !== 'string') throw new InvalidInputError("'text' must be a string: the message");
  return { text, to: handleList(field(input, 'to'), 'to'), re: optionalString(field(input, 're'), 're'), kind: optionalString(field(input, 'kind'), 'kind'), ref: optionalString(field(input, 'ref'), 'ref') };
}

export function parseListRequest(input: Loose, maxLimit = Infinity): ListMessagesOptions {
  return {
    since: optionalString(field(input, 'since'), 'since'),
    from: optionalString(field(input, 'from'), 'from'),
    mention: optionalString(field(input, 'mention'), 'mention'),
    thread: optionalString(field(input, 'thread'), 'thread'),
    limit: wholeNumber(field(input, 'limit'), 'limit', 1, maxLimit),
  };
}

export function parseInboxRequest(input: Loose): InboxOptions {
  return { peek: flag(field(input, 'peek'), 'peek'), all: flag(field(input, 'all'), 'all'), limit: wholeNumber(field(input, 'limit'), 'limit', 1) };
}

export interface AwaitRequest {
  /** Seconds; undefined waits without end (CLI only: faces always bound it). */
  timeout?: number;
  all: boolean;
}

/** `bounded`: the faces that answer one request cap the wait (default 30 s, at most 120 s). */
export function parseAwaitRequest(input: Loose, bounded: boolean): AwaitRequest {
  const raw = field(input, 'timeout');
  let timeout: number | undefined;
  if (raw !== undefined && raw !== '') {
    timeout = Number(raw);
    if ((typeof raw === 'string' && !/^\d+(\.\d+)?$/.test(raw)) || !(timeout > 0)) {
      throw new InvalidInputError(`timeout takes a number of seconds above 0, got '${String(raw).slice(0, 20)}'`);
    }
  }
  if (bounded) {
    timeout = timeout ?? DEFAULT_FACE_AWAIT_SECONDS;
    if (timeout > MAX_FACE_AWAIT_SECONDS) throw new InvalidInputError(`timeout is at most ${MAX_FACE_AWAIT_SECONDS} seconds here; call again to keep waiting`);
  }
  return { timeout, all: flag(field(input, 'all'), 'all') ?? false };
}

export interface RegisterRequest {
  role?: string;
  description?: string;
}

export function parseRegisterRequest(input: Loose): RegisterRequest {
  return { role: optionalString(field(input, 'role'), 'role'), description: optionalString(field(input, 'description'), 'description') };
}

/** A list of handles: an array of strings or one comma-separated string (CLI `--to a,b`). */
function handleList(value: unknown, name: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;
  if (items === null) throw new InvalidInputError(`'${name}' must be a list of handles (or one comma-separated string)`);
  return items.map((h) => h.trim()).filter(Boolean);
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidInputError(`'${name}' must be a string`);
  return value;
}

function flag(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidInputError(`'${name}' must be true or false`);
}

function wholeNumber(value: unknown, name: string, min: number, max = Infinity): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new InvalidInputError(`${name} takes a whole number${max < Infinity ? ` from ${min} to ${max}` : ` of at least ${min}`}, got '${text.slice(0, 20)}'`);
  }
  return Number(text);
}
