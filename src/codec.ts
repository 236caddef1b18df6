import yaml from 'js-yaml';
import { InvalidInputError } from './errors.js';

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

function parseYaml(yamlText: string, body: string, whole: string): ParsedFile {
  try {
    const meta = yaml.load(yamlText, { schema: yaml.CORE_SCHEMA }) ?? {};
    if (typeof meta !== 'object' || Array.isArray(meta)) {
      return { meta: {}, body: whole, hasFrontmatter: false, problem: { line: 2, reason: 'frontmatter is not a mapping' } };
    }
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

/** Writes frontmatter (known fields first, then the ones a person added) followed by the body. */
export function serializeMemoryFile(meta: Record<string, unknown>, body: string): string {
  const ordered: Record<string, unknown> = {};
  for (const field of KNOWN_FIELDS) if (meta[field] !== undefined) ordered[field] = meta[field];
  for (const [field, value] of Object.entries(meta)) if (!(field in ordered) && value !== undefined) ordered[field] = value;
  const head = yaml.dump(ordered, { schema: yaml.CORE_SCHEMA, flowLevel: 1, lineWidth: -1, noRefs: true });
  return `---\n${head}---\n${body}`;
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
  try {
    return { value: JSON.parse(fenced ? fenced[1] : body), format: 'json' };
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
      return { value: JSON.parse(raw), format: 'json' };
    } catch (err) {
      throw new InvalidInputError(`value is not valid JSON (${(err as Error).message}); fix it or use --format text`);
    }
  }
  const trimmed = raw.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
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
