/**
 * What a claim covers (issue 13): its paths, normalized so a claim may over-claim but never
 * under-claim, and when two scopes overlap. Also the TTL rule. Pure functions; no I/O.
 */
import { InvalidTtlError } from '../../errors.js';

/** The whole tree: what no paths, an absolute path or a `..` mean. */
export const WHOLE_TREE = '.';
/** More paths than this in one claim widen it to the whole tree. */
export const MAX_CLAIM_PATHS = 256;
/** A longer path is cut back to a parent folder that fits. */
export const MAX_PATH_CHARS = 1024;
export const MIN_TTL_S = 30;
export const MAX_TTL_S = 30 * 24 * 3600;
export const DEFAULT_TTL_S = 30 * 60;

/**
 * Normalizes claim paths: `\` becomes `/`, empty and `.` segments drop; an absolute path or any `..`
 * widens the claim to the whole tree; no paths is the whole tree; paths under another path of the
 * claim are folded into it. Every widening is reported in `warnings`, never done silently.
 */
export function normalizeClaimPaths(input: string[], warnings: string[] = []): string[] {
  if (input.length === 0) return [WHOLE_TREE];
  if (input.length > MAX_CLAIM_PATHS) {
    warnings.push(`warning: ${input.length} paths is over the ${MAX_CLAIM_PATHS}-path limit; the claim covers the whole tree`);
    return [WHOLE_TREE];
  }
  const out: string[] = [];
  for (const raw of input) {
    const path = normalizeOne(String(raw), warnings);
    if (path === WHOLE_TREE) return [WHOLE_TREE];
    out.push(path);
  }
  // Shortest first, so a parent is kept before the paths under it.
  const kept: string[] = [];
  for (const path of [...new Set(out)].sort((a, b) => a.length - b.length || (a < b ? -1 : 1))) {
    if (!kept.some((parent) => covers(parent, path))) kept.push(path);
  }
  return kept.sort();
}

function normalizeOne(raw: string, warnings: string[]): string {
  const slashed = raw.replace(/\\/g, '/');
  const shown = slashed.length > 60 ? `${slashed.slice(0, 57)}...` : slashed;
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) {
    warnings.push(`warning: '${shown}' is absolute; the claim covers the whole tree (give paths relative to the repository)`);
    return WHOLE_TREE;
  }
  const segments = slashed.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    warnings.push(`warning: '${shown}' has '..'; the claim covers the whole tree`);
    return WHOLE_TREE;
  }
  // eslint-disable-next-line no-control-regex
  if (segments.length === 0) return WHOLE_TREE;
  let path = segments.join('/');
  if (path.length > MAX_PATH_CHARS) {
    const cut = path.lastIndexOf('/', MAX_PATH_CHARS);
    path = cut > 0 ? path.slice(0, cut) : WHOLE_TREE;
    warnings.push(`warning: a ${segments.join('/').length}-character path is over the ${MAX_PATH_CHARS}-character limit; the claim covers ${path === WHOLE_TREE ? 'the whole tree' : `its folder ${path.slice(0, 40)}...`}`);
  }
  return path;
}

/** True when `parent` is `path` or one of its folders (at a `/` boundary: `src/a` does not cover `src/ab`). */
export function covers(parent: string, path: string): boolean {
  return parent === WHOLE_TREE || parent === path || (path.length > parent.length && path.startsWith(parent) && path[parent.length] === '/');
}

/** Two paths overlap when they are equal or one is a folder of the other. */
export function pathsOverlap(a: string, b: string): boolean {
  return covers(a, b) || covers(b, a);
}

/** The first pair of overlapping paths of two scopes, or undefined. */
export function scopeOverlap(a: readonly string[], b: readonly string[]): [string, string] | undefined {
  for (const x of a) for (const y of b) if (pathsOverlap(x, y)) return [x, y];
  return undefined;
}

/**
 * A TTL such as `90s`, `30m`, `2h`, `7d` (a bare number is seconds) in seconds, clamped to
 * 30 s … 30 days with a warning. Zero, negative and unreadable TTLs are InvalidTtlError.
 */
/** `90s`, `30m`, `2h`, `7d` or bare seconds to seconds; NaN when it is none of those (the one duration rule). */
export function durationSeconds(input: string | number): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(String(input).trim().toLowerCase());
  return match ? Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'] : NaN;
}

export function parseTtl(input: string | number | undefined, warnings: string[] = []): number {
  if (input === undefined || input === '') return DEFAULT_TTL_S;
  const text = String(input).trim().toLowerCase();
  const seconds = durationSeconds(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidTtlError(`--ttl '${String(input).slice(0, 20)}' is not a positive duration; use e.g. 90s, 30m, 2h or 7d`);
  }
  if (seconds < MIN_TTL_S) {
    warnings.push(`warning: --ttl ${text} is under the 30 s minimum; using 30s`);
    return MIN_TTL_S;
  }
  if (seconds > MAX_TTL_S) {
    warnings.push(`warning: --ttl ${text} is over the 30-day maximum; using 30d`);
    return MAX_TTL_S;
  }
  return Math.round(seconds);
}
