import { createRequire } from 'node:module';
import type jsYaml from 'js-yaml';
import { InvalidInputError } from './errors.js';
import { MAX_JSON_DEPTH, jsonTooDeep, parseJsonBounded } from './json-depth.js';

/** How a value is stored: the body as given, or pretty JSON in a fenced block. */
export type ValueFormat = 'text' | 'json';

/** Frontmatter fields mycelium writes, in the order it writes them. Others a person adds are kept. */
export const KNOWN_FIELDS = ['key', 'created_by', 'created_at', 'updated_by', 'updated_at', 'version', 'tags', 'format'] as const;

export interface FrontmatterProblem {
  /** 1-based line in the file where the problem is. */
  line: number;
  reason: string;
}

export interface ParsedFile {
  /** The frontmatter as a plain object; empty when the file has none or it is broken. */
  meta: Record<string, unknown>;
  /** Everything after the frontmatter, byte for byte (the whole file when there is none). */
  body: string;
  hasFrontmatter: boolean;
  problem?: FrontmatterProblem;
}

// js-yaml is required on first use (synchronously, as the codec is): a command that only reads headers
// mycelium wrote goes through flatYaml below and never loads it.
let loadedYaml: typeof jsYaml | undefined;
const yaml = (): typeof jsYaml => (loadedYaml ??= createRequire(import.meta.url)('js-yaml') as typeof jsYaml);

const OPEN = /^---[ \t]*\r?\n/;
const CLOSE = /^(?:---|\.\.\.)[ \t]*$/;

/** Splits a memory file into frontmatter and body. Never throws: broken YAML is reported in `problem`. */
export function parseMemoryFile(text: string): ParsedFile {
  const opening = OPEN.exec(text);
  if (!opening) return { meta: {}, body: text, hasFrontmatter: false };
  let offset = opening[0].length;
  let line = 2;
  while (offset <= text.length) {
    const end = text.indexOf('\n', offset);
    const lineText = (end === -1 ? text.slice(offset) : text.slice(offset, end)).replace(/\r$/, '');
    if (CLOSE.test(lineText)) {
      const yamlText = text.slice(opening[0].length, offset);
      const body = end === -1 ? '' : text.slice(end + 1);
      return parseYaml(yamlText, body, text);
    }
    if (end === -1) break;
    offset = end + 1;
    line++;
  }
  return {
    meta: {},
    body: text,
    hasFrontmatter: false,
    problem: { line: 1, reason: "frontmatter opened with '---' is never closed" },
  };
}

/** Largest frontmatter parsed, in bytes; a bigger one is no memory's header, and the file reads as text. */
export const MAX_FRONTMATTER_BYTES = 64 * 1024;

/** Deepest nesting of lists and mappings accepted in frontmatter. */
export const MAX_FRONTMATTER_DEPTH = 32;

/**
 * Why a parsed frontmatter cannot be used, or undefined. YAML aliases (`*a`) share one object between
 * places: a few hundred bytes of them ("billion laughs") stand for billions of values once anything
 * walks, prints or indexes them. The parser itself shares, so one walk that refuses any object met
 * twice stays as small as the text, and stops cycles too.
 */
function unsafeShape(meta: object): string | undefined {
  const seen = new Set<object>();
  const walk = (node: unknown, depth: number): string | undefined => {
    if (node === null || typeof node !== 'object') return undefined;
    if (depth > MAX_FRONTMATTER_DEPTH) return `frontmatter nests deeper than ${MAX_FRONTMATTER_DEPTH} levels`;
    if (seen.has(node)) return 'frontmatter repeats a list or mapping through a YAML alias (*name); aliases of lists and mappings are refused, write the values out';
    seen.add(node);
    for (const child of Object.values(node)) {
      const problem = walk(child, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  };
  return walk(meta, 0);
}

function parseYaml(yamlText: string, body: string, whole: string): ParsedFile {
  if (Buffer.byteLength(yamlText) > MAX_FRONTMATTER_BYTES) {
    return { meta: {}, body: whole, hasFrontmatter: false, problem: { line: 1, reason: `frontmatter is over ${MAX_FRONTMATTER_BYTES} bytes` } };
  }
  try {
    const meta = flatYaml(yamlText) ?? yaml().load(yamlText, { schema: yaml().CORE_SCHEMA }) ?? {};
    if (typeof meta !== 'object' || Array.isArray(meta)) {
      return { meta: {}, body: whole, hasFrontmatter: false, problem: { line: 2, reason: 'frontmatter is not a mapping' } };
    }
    const unsafe = unsafeShape(meta);
    if (unsafe) return { meta: {}, body: whole, hasFrontmatter: false, problem: { line: 2, reason: unsafe } };
    return { meta: meta as Record<string, unknown>, body, hasFrontmatter: true };
  } catch (err) {
    const mark = (err as { mark?: { line: number } }).mark;
    const reason = (err as { reason?: string }).reason ?? (err as Error).message.split('\n')[0];
    return { meta: {}, body: whole, hasFrontmatter: false, problem: { line: 2 + (mark?.line ?? 0), reason } };
  }
}

/** What a memory file's frontmatter means, the same for every reader (Room, index, watcher, feed). */
export interface MemoryHeader {
  /** Counts mycelium's writes: a non-negative integer, else 0 (a file written by hand). */
  version: number;
  /** A list of strings; one string is one tag; numbers and booleans become strings; anything else is dropped. */
  tags: string[];
  /** 'json' only when the file says `format: json`. */
  format: ValueFormat;
  /** Non-empty strings, else null. */
  created_by: string | null;
  created_at: string | null;
  updated_by: string | null;
  updated_at: string | null;
  /** Fields a person (or a coordination file) added: everything but KNOWN_FIELDS, as written. */
  extra: Record<string, unknown>;
}

/** The one reading of a frontmatter mapping (from `parseMemoryFile(text).meta`). Never throws. */
export function readHeader(meta: Record<string, unknown>): MemoryHeader {
  const extra: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(meta)) {
    if (!(KNOWN_FIELDS as readonly string[]).includes(field)) extra[field] = value;
  }
  return {
    version: Number.isInteger(meta.version) && (meta.version as number) >= 0 ? (meta.version as number) : 0,
    tags: headerTags(meta.tags),
    format: meta.format === 'json' ? 'json' : 'text',
    created_by: nonEmptyString(meta.created_by),
    created_at: nonEmptyString(meta.created_at),
    updated_by: nonEmptyString(meta.updated_by),
    updated_at: nonEmptyString(meta.updated_at),
    extra,
  };
}

function headerTags(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.filter((t) => typeof t === 'string' || typeof t === 'number' || typeof t === 'boolean').map(String);
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

// The fast path for the headers mycelium itself writes (`key: plain`, `key: [a, b]` and `key: {a: b}` lines, as
// serializeMemoryFile emits them): reading 100,000 message headers through the full YAML parser costs
// seconds. It accepts only what it can read exactly as js-yaml's CORE schema would; anything else
// (quotes, nesting, comments, booleans, floats, odd spacing, duplicate keys) returns undefined and
// goes through js-yaml, so there is still one rule for what a header means.
/** Exported for tests: the parsed mapping, or undefined when the text is outside the flat subset. */
export function flatYaml(yamlText: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  const length = yamlText.length;
  let at = 0;
  while (at < length) {
    let end = yamlText.indexOf('\n', at);
    if (end === -1) end = length;
    let colon = at;
    while (colon < end && isKeyChar(yamlText.charCodeAt(colon), colon === at)) colon++;
    if (colon === at || yamlText.charCodeAt(colon) !== 58 /* : */ || yamlText.charCodeAt(colon + 1) !== 32 /* space */) return undefined;
    const key = yamlText.slice(at, colon);
    if (Object.hasOwn(out, key)) return undefined; // js-yaml rejects duplicate keys
    const value = flatValue(yamlText, colon + 2, end);
    if (value === undefined) return undefined;
    out[key] = value;
    at = end + 1;
  }
  return at === 0 ? undefined : out;
}

/** `plain`, `[plain, plain]` or `{plain: plain, plain: plain}`, from `start` to `end` in `text`. */
function flatValue(text: string, start: number, end: number): unknown {
  if (text.charCodeAt(start) === 123 /* { */) return flatMap(text, start, end);
  if (text.charCodeAt(start) !== 91 /* [ */) return flatScalar(text, start, end, true);
  if (text.charCodeAt(end - 1) !== 93 /* ] */) return undefined;
  const list: unknown[] = [];
  let at = start + 1;
  const close = end - 1;
  if (at === close) return list;
  for (;;) {
    let stop = text.indexOf(',', at);
    if (stop === -1 || stop > close) stop = close;
    const item = flatScalar(text, at, stop, false);
    if (item === undefined) return undefined;
    list.push(item);
    if (stop === close) return list;
    if (text.charCodeAt(stop + 1) !== 32) return undefined;
    at = stop + 2;
  }
}

/**
 * `{}` or `{key: value, key: value}` (the coordination files' maps: task id or handle to a time): keys
 * are plain strings (a number, `__proto__` or a repeated key steps aside), values plain scalars.
 */
function flatMap(text: string, start: number, end: number): Record<string, unknown> | undefined {
  if (text.charCodeAt(end - 1) !== 125 /* } */) return undefined;
  const map: Record<string, unknown> = {};
  let at = start + 1;
  const close = end - 1;
  if (at === close) return map;
  for (;;) {
    let stop = text.indexOf(',', at);
    if (stop === -1 || stop > close) stop = close;
    const colon = text.indexOf(': ', at);
    if (colon === -1 || colon >= stop) return undefined;
    const key = flatScalar(text, at, colon, false);
    if (typeof key !== 'string' || key === '__proto__' || Object.hasOwn(map, key)) return undefined;
    const value = flatScalar(text, colon + 2, stop, true);
    if (value === undefined) return undefined;
    map[key] = value;
    if (stop === close) return map;
    if (text.charCodeAt(stop + 1) !== 32) return undefined;
    at = stop + 2;
  }
}

/**
 * A plain scalar made of letters, digits and `_ . / + -` (and `:` outside a list, not last), read
 * as a number when it is a small decimal integer; undefined for anything js-yaml might read as
 * something else (a bool, null, a float, another base), so that goes through js-yaml.
 */
function flatScalar(text: string, start: number, end: number, colonAllowed: boolean): string | number | undefined {
  if (start >= end) return undefined;
  let digits = true;
  let numberish = true; // only [0-9_.eE+-]: might be a YAML number
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
    const punct = c === 95 || c === 46 || c === 47 || c === 43 || c === 45 || (colonAllowed && c === 58); // _ . / + - :
    if (!digit && !letter && !punct) return undefined;
    if (i === start && !digit && !letter && c !== 95) return undefined;
    if (!digit) digits = false;
    if (!digit && c !== 95 && c !== 46 && c !== 101 && c !== 69 && c !== 43 && c !== 45) numberish = false;
  }
  if (text.charCodeAt(end - 1) === 58) return undefined; // `a:` would open a mapping
  const first = text.charCodeAt(start);
  if (digits && end - start <= 15 && (first !== 48 || end - start === 1)) return Number(text.slice(start, end));
  if (first >= 48 && first <= 57 && (numberish || (first === 48 && baseInteger(text.slice(start + 1, end))))) return undefined;
  const word = text.slice(start, end);
  return /^(?:true|false|null)$/i.test(word) ? undefined : word;
}

/** Whether `b…`, `x…` or `o…` (after a leading 0) reads as a binary, hex or octal integer; capitals are not, in YAML either. */
function baseInteger(rest: string): boolean {
  const digits = rest[0] === 'b' ? /^[01_]+$/ : rest[0] === 'x' ? /^[0-9a-fA-F_]+$/ : rest[0] === 'o' ? /^[0-7_]+$/ : /^[0-9_]+$/i;
  return rest[0] === 'B' || rest[0] === 'X' || rest[0] === 'O' || digits.test(rest.slice(1));
}

function isKeyChar(c: number, first: boolean): boolean {
  return (c >= 97 && c <= 122) || (!first && ((c >= 48 && c <= 57) || c === 95));
}

/** Writes frontmatter (known fields first, then the ones a person added) followed by the body. */
export function serializeMemoryFile(meta: Record<string, unknown>, body: string): string {
  const ordered: Record<string, unknown> = {};
  for (const field of KNOWN_FIELDS) if (meta[field] !== undefined) ordered[field] = meta[field];
  for (const [field, value] of Object.entries(meta)) if (!(field in ordered) && value !== undefined) ordered[field] = value;
  const head = flatDump(ordered) ?? yaml().dump(ordered, { schema: yaml().CORE_SCHEMA, flowLevel: 1, lineWidth: -1, noRefs: true });
  return `---\n${head}---\n${body}`;
}

// The writing side of the fast path: a header of plain strings, small integers and lists of plain
// strings is written as `key: value` lines without loading js-yaml (which costs a CLI write ~25 ms
// to load). It is used only when flatYaml reads the lines back to exactly these values, so it is
// never a second rule for what a header means: anything else goes through js-yaml's dump.
function flatDump(ordered: Record<string, unknown>): string | undefined {
  let head = '';
  for (const [field, value] of Object.entries(ordered)) {
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) text = String(value);
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) text = `[${value.join(', ')}]`;
    else if (isPlainMap(value)) text = `{${Object.entries(value).map(([k, v]) => `${k}: ${v}`).join(', ')}}`;
    else return undefined;
    head += `${field}: ${text}\n`;
  }
  const back = flatYaml(head);
  if (!back) return undefined;
  for (const [field, value] of Object.entries(ordered)) {
    const read = back[field];
    if (Array.isArray(value)) {
      if (!Array.isArray(read) || read.length !== value.length || value.some((item, i) => read[i] !== item)) return undefined;
    } else if (isPlainMap(value)) {
      if (!isPlainMap(read) || !sameMap(read, value)) return undefined;
    } else if (read !== value) return undefined;
  }
  return Object.keys(back).length === Object.keys(ordered).length ? head : undefined;
}

/** An object whose values are all strings or small whole numbers (what flatDump may write as `{k: v}`). */
function isPlainMap(value: unknown): value is Record<string, string | number> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0));
}

function sameMap(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(b);
  const read = Object.keys(a);
  return read.length === keys.length && keys.every((k, i) => read[i] === k && a[k] === b[k]);
}

/** The body that stores a value. Text is kept byte for byte; JSON is pretty-printed in a fence. */
export function encodeBody(value: unknown, format: ValueFormat): string {
  if (format === 'text') return value as string;
  return '```json\n' + JSON.stringify(value, null, 2) + '\n```\n';
}

const FENCE = /^\s*```json[ \t]*\r?\n([\s\S]*?)\r?\n```\s*$/;

/** Reads a value back from a body. A JSON body that no longer parses comes back as text with a problem. */
export function decodeBody(body: string, format: ValueFormat): { value: unknown; format: ValueFormat; problem?: string } {
  if (format !== 'json') return { value: body, format: 'text' };
  const fenced = FENCE.exec(body);
  const json = fenced ? fenced[1] : body;
  if (jsonTooDeep(json)) return { value: body, format: 'text', problem: `format is json but the body nests deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { value: JSON.parse(json), format: 'json' };
  } catch (err) {
    return { value: body, format: 'text', problem: `format is json but the body does not parse (${(err as Error).message})` };
  }
}

/** Chooses how to store a value given as a string: auto stores JSON objects and arrays as JSON. */
export function interpretValue(raw: unknown, requested: ValueFormat | 'auto' = 'auto'): { value: unknown; format: ValueFormat } {
  if (typeof raw !== 'string') {
    if (requested === 'text') throw new InvalidInputError('--format text needs a string value');
    return { value: raw, format: 'json' };
  }
  if (requested === 'text') return { value: raw, format: 'text' };
  if (requested === 'json') {
    try {
      return { value: parseJsonBounded(raw), format: 'json' };
    } catch (err) {
      if (err instanceof InvalidInputError) throw err;
      throw new InvalidInputError(`value is not valid JSON (${(err as Error).message}); fix it or use --format text`);
    }
  }
  const trimmed = raw.trim();
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && !jsonTooDeep(trimmed)) {
    try {
      const parsed = JSON.parse(trimmed);
      if (parsed !== null && typeof parsed === 'object') return { value: parsed, format: 'json' };
    } catch {
      // Not JSON: it is text that happens to start with a bracket.
    }
  }
  return { value: raw, format: 'text' };
}

/** One short line that previews a value in listings. */
export function previewLine(value: unknown, format: ValueFormat, width = 80): string {
  const line =
    format === 'json'
      ? JSON.stringify(value)
      : ((value as string).split('\n').find((l) => l.trim() !== '') ?? '').trim();
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}
