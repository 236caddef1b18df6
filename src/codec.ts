import yaml from 'js-yaml';
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
    const meta = yaml.load(yamlText, { schema: yaml.CORE_SCHEMA }) ?? {};
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
