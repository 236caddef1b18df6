import { stemmer } from 'stemmer';

/**
 * English stopwords: Lucene's classic English analyzer list plus a few function words that carry
 * no meaning in a query. Measured on SciFact train (bench/eval-beir.ts): dropping them helps BM25.
 */
const STOPWORDS = new Set(
  (
    'a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with ' +
    'i me my we our you your he she him her his its them what which who whom do does did has have had been being were am ' +
    'from so than too very can could would should may might must shall about over under again further once here when where why how ' +
    'all any both each few more most other some own same only just also'
  ).split(' '),
);

/** Splits on anything that is not a letter or digit (Unicode aware), keeping apostrophes out. */
const SPLIT = /[^\p{L}\p{N}]+/u;

/** Scripts written without spaces between words (Chinese, Japanese kana, Thai, …). */
const UNSPACED_CHARS = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Thai}\\p{Script=Lao}\\p{Script=Khmer}\\p{Script=Myanmar}';
const UNSPACED = new RegExp(`[${UNSPACED_CHARS}]`, 'u');
const RUNS = new RegExp(`[${UNSPACED_CHARS}]+|[^${UNSPACED_CHARS}]+`, 'gu');

/**
 * Words of a text, lowercased, in order (no stemming, no stopword removal). A run of a script written
 * without spaces becomes its overlapping character bigrams (`归档文件` -> `归档`, `档文`, `文件`; a lone
 * character stays itself), so a word inside a sentence is found by its own bigrams, whatever the
 * word boundaries. Bigrams, not a dictionary segmenter: Intl.Segmenter made indexing the tldr pages
 * 35 % slower, and its cuts depend on the context a word sits in. Other text splits on non-letters.
 */
export function words(text: string): string[] {
  const lower = text.toLowerCase();
  if (!UNSPACED.test(lower)) return lower.split(SPLIT).filter((w) => w.length > 0); // most text: one test
  const out: string[] = [];
  for (const token of lower.split(SPLIT)) {
    if (token.length === 0) continue;
    if (!UNSPACED.test(token)) {
      out.push(token);
      continue;
    }
    for (const run of token.match(RUNS) ?? []) {
      if (!UNSPACED.test(run)) out.push(run);
      else if (run.length === 1) out.push(run);
      else for (let i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
    }
  }
  return out;
}

/**
 * Turns one lowercased word into its index term, or null to drop it.
 * Stopwords and very long tokens (hashes, base64) are dropped; the rest are Porter-stemmed.
 */
export function indexTerm(word: string): string | null {
  let term = memo.get(word);
  if (term === undefined) {
    term = STOPWORDS.has(word) || word.length > 64 ? null : /^\p{N}+$/u.test(word) ? word : stemmer(word);
    if (memo.size >= MEMO_SIZE) memo.clear();
    memo.set(word, term);
  }
  return term;
}

/** Stemming is most of the cost of indexing, and a room's vocabulary repeats: remember answers. */
const memo = new Map<string, string | null>();
const MEMO_SIZE = 200_000;

/** The index terms of a text: what both indexing and queries use, so they always agree. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const word of words(text)) {
    const term = indexTerm(word);
    if (term) out.push(term);
  }
  return out;
}
