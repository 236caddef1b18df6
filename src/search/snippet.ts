import { terms, words } from './tokenize.js';
import type { HashedChunk } from './memory-text.js';

/** Longest snippet, in characters. */
export const SNIPPET_CHARS = 240;

/**
 * The snippet of a result: the chunk the vector search liked best when there is one, otherwise the
 * chunk holding the most query terms; then the stretch of it around the first query word.
 */
export function pickChunk(chunks: HashedChunk[], query: string, bestHash?: string): HashedChunk | undefined {
  if (bestHash) {
    const best = chunks.find((c) => c.hash === bestHash);
    if (best) return best;
  }
  const wanted = new Set(terms(query));
  let chosen = chunks[0];
  let most = -1;
  for (const chunk of chunks) {
    const hits = terms(chunk.text).filter((t) => wanted.has(t)).length;
    if (hits > most) {
      most = hits;
      chosen = chunk;
    }
  }
  return chosen;
}

export function snippetOf(text: string, query: string, max = SNIPPET_CHARS): string {
  const flat = text.replace(/^#{1,6}[ \t]+/gm, '').replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const wanted = new Set(terms(query));
  const lower = flat.toLowerCase();
  let at = 0;
  for (const word of words(query)) {
    if (!wanted.has(terms(word)[0] ?? '')) continue;
    const found = lower.indexOf(word.slice(0, Math.max(3, word.length - 2)));
    if (found >= 0 && (at === 0 || found < at)) at = found;
  }
  const start = Math.max(0, Math.min(at - 40, flat.length - max));
  const cut = flat.slice(start, start + max).trim();
  return (start > 0 ? '…' : '') + cut + (start + max < flat.length ? '…' : '');
}
