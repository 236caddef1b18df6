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

/** Scripts written without spaces between words: their runs are cut into words by a dictionary. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
/** ICU's word segmenter (built into Node): dictionary-based for Chinese, Japanese, Thai, … */
let segmenter: Intl.Segmenter | undefined;

/**
 * Words of a text, lowercased, in order (no stemming, no stopword removal). A token holding Chinese,
 * Japanese or another script written without spaces is segmented into its words (`创建归档文件` ->
 * `创建`, `归档`, `文件`), so a word inside a sentence is found; other text splits on non-letters only.
 */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const token of text.toLowerCase().split(SPLIT)) {
    if (token.length === 0) continue;
    if (!UNSPACED.test(token)) {
      out.push(token);
      continue;
    }
    segmenter ??= new Intl.Segmenter('zh', { granularity: 'word' });
    for (const part of segmenter.segment(token)) if (part.isWordLike) out.push(part.segment);
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
