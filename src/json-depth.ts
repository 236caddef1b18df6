import { InvalidInputError } from './errors.js';

/**
 * Deepest nesting of arrays and objects accepted in a JSON value. A 20,000-deep value is a few
 * dozen kilobytes, parses, and then overflows the stack of whatever walks it (printing, indexing).
 */
export const MAX_JSON_DEPTH = 256;

/** True when JSON text nests arrays/objects deeper than `max` (strings are skipped; no parse). */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** JSON.parse that refuses values nested deeper than MAX_JSON_DEPTH with an InvalidInputError. */
export function parseJsonBounded(text: string): unknown {
  if (jsonTooDeep(text)) {
    throw new InvalidInputError(`the JSON nests deeper than ${MAX_JSON_DEPTH} levels; flatten it`);
  }
  return JSON.parse(text);
}
