import { InvalidInputError } from '../errors.js';
import { terms, words } from './tokenize.js';

/**
 * The query syntax of every search face (CLI, HTTP, MCP): plain words rank by BM25 (and meaning);
 * `"an exact phrase"` must occur as those words in that order (case and punctuation aside);
 * `-word` drops memories holding the word (stemmed like the index: `-deploy` drops `deploys`); a
 * minus before a number (`-2`, `E2f-1, -2`) is no exclusion, so claims and ranges read as written.
 */
export interface ParsedQuery {
  /** What is ranked: the plain words and the words of the phrases, in order. */
  ranked: string;
  /** Each phrase as its lowercased words. */
  phrases: string[][];
  /** Per excluded word, its index terms (a memory is dropped when it holds all of them). */
  excluded: string[][];
}

const TOKEN = /-?"[^"]*("|$)|\S+/g;

export function parseQuery(query: string): ParsedQuery {
  const ranked: string[] = [];
  const phrases: string[][] = [];
  const excluded: string[][] = [];
  for (const [token] of query.matchAll(TOKEN)) {
    const negative = token.startsWith('-') && token.length > 1;
    const body = negative ? token.slice(1) : token;
    if (body.startsWith('"')) {
      const inner = body.replace(/^"|"$/g, '');
      if (negative) {
        const found = terms(inner);
        if (found.length > 0) excluded.push(found);
        continue;
      }
      const phrase = words(inner);
      if (phrase.length > 1) phrases.push(phrase);
      ranked.push(inner);
    } else if (negative && /^\p{L}/u.test(body)) {
      const found = terms(body);
      if (found.length > 0) excluded.push(found);
    } else ranked.push(token);
  }
  if (ranked.join(' ').trim().length === 0) {
    throw new InvalidInputError('the query has only excluded words; give at least one word to search for');
  }
  return { ranked: ranked.join(' '), phrases, excluded };
}

/** Whether a text holds every phrase as consecutive words. */
export function holdsPhrases(text: string, phrases: string[][]): boolean {
  if (phrases.length === 0) return true;
  const all = words(text);
  return phrases.every((phrase) => {
    for (let i = 0; i + phrase.length <= all.length; i++) {
      let j = 0;
      while (j < phrase.length && all[i + j] === phrase[j]) j++;
      if (j === phrase.length) return true;
    }
    return false;
  });
}

/**
 * The 1-based line of a file that best matches: the phrase's line, else the line holding the most
 * query terms (the first of equals), else the first line of `fallback` (the snippet's chunk), else 1.
 */
export function matchedLine(text: string, parsed: ParsedQuery, fallback?: string): number {
  const lines = text.split('\n');
  let start = 0;
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
    if (end > 0) start = end + 1;
  }
  for (let i = start; i < lines.length; i++) if (parsed.phrases.length > 0 && holdsPhrases(lines[i], parsed.phrases.slice(0, 1))) return i + 1;
  const wanted = new Set(terms(parsed.ranked));
  let best = -1;
  let most = 0;
  for (let i = start; i < lines.length; i++) {
    const hits = new Set(terms(lines[i]).filter((t) => wanted.has(t))).size;
    if (hits > most) {
      most = hits;
      best = i;
    }
  }
  if (best >= 0) return best + 1;
  const first = fallback?.split('\n').find((l) => l.trim().length > 0)?.trim();
  const at = first ? lines.findIndex((l, i) => i >= start && l.includes(first)) : -1;
  return at >= 0 ? at + 1 : start + 1;
}
