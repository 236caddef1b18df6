import { indexTerm, terms, words } from './tokenize.js';
import { TopK } from './top-k.js';

/**
 * Our BM25: an inverted index per field (key, tags, title, body) and plain BM25 scoring with k1/b
 * tuned on SciFact train, per-field boosts, English stemming and stopwords (bench/eval-beir.ts).
 * It replaced minisearch, whose defaults scored 0.62 nDCG@10 on SciFact (it multiplies a score by the
 * number of query terms matched and takes a field's length to be its distinct terms) and whose
 * radix tree made indexing the 38k tldr pages ~19x slower and loading ~8x slower (bench/index.ts).
 */
export interface Bm25Parameters {
  /** Term-frequency saturation. */
  k1: number;
  /** Length normalisation (0: none, 1: full). */
  b: number;
  /** Weight of a match in each field. */
  boosts: { key: number; tags: number; title: number; body: number };
  /** How headings and body combine: 'bm25f' saturates them as one field, 'separate' sums two BM25 scores. */
  text: 'bm25f' | 'separate';
}

/**
 * Chosen on SciFact train (809 queries; `npm run eval:beir -- … --grid`, which also cross-validates
 * over two halves of the queries). Measured 2026-12-06 (load ~8):
 * - k1 0.9, b 0.4: 0.7023 nDCG@10 (halves 0.7266 / 0.6779). The textbook k1 1.2, b 0.75 gave 0.7039;
 *   picked on one half, it gained 0.0023 on the other half: below what the choice of queries moves
 *   (the two halves differ by 0.05), so the earlier pick stays.
 * - title 0.25: headings are also in the body, so with `text: 'separate'` a title weight counts a title
 *   word twice; at title 2 it falls to 0.61. `text: 'bm25f'` (one saturation over both fields) is
 *   steady across title weights (0.699-0.704 for 0.25-2) but did not beat this: its best, k1 1.5,
 *   b 0.75, title 2, picked on half 1, scored 0.6780 on half 2 (this: 0.6779). Headings not length-
 *   normalised (b 0 for them; k1 1.2-2, b 0.6-0.9, title 1-3) peaked at 0.7034: BM25 on SciFact sits
 *   at ~0.703 whichever way the fields are combined.
 * - Porter2 stemming instead of Porter scored 0.7023 as well, Lucene's 33 stopwords instead of the
 *   list in tokenize.ts 0.7021: neither is taken.
 */
export const DEFAULT_BM25: Bm25Parameters = { k1: 0.9, b: 0.4, boosts: { key: 2, tags: 2, title: 0.25, body: 1 }, text: 'separate' };

/** What one memory contributes to the BM25 index. */
export interface Bm25Document {
  key: string;
  tags: string[];
  /** The memory's headings, one per line. */
  title: string;
  body: string;
}

export interface Bm25Hit {
  key: string;
  score: number;
}

export const FIELDS = ['key', 'tags', 'title', 'body'] as const;
/** Weight of a term matched only as the continuation of a query word (see `queryTerms`). */
const PREFIX_WEIGHT = 0.5;
const MAX_PREFIX_TERMS = 16;
type Field = (typeof FIELDS)[number];
/** A BM25 index as the index file stores it: dense document numbers, postings as flat [doc, tf, …]. */
export interface Bm25Parts {
  keys: string[];
  /** lengths[field][doc]: the field's number of terms. */
  lengths: number[][];
  /** postings[field]: term -> flat postings. */
  postings: Map<string, number[]>[];
}

/**
 * What scoring reads: the in-memory index, or the index file read lazily (index-file.ts). Document
 * numbers run from 0 to `slots`; a null key is a removed document.
 */
export interface PostingSource {
  readonly size: number;
  readonly slots: number;
  keyOf(doc: number): string | null;
  fieldTotal(f: number): number;
  fieldLengths(f: number): ArrayLike<number>;
  /** Flat [doc, tf, doc, tf, …] postings of a term in field f. */
  postingsOf(f: number, term: string): ArrayLike<number> | undefined;
  hasTerm(term: string): boolean;
  termsStartingWith(prefixes: string[], max: number): Set<string>;
}

export class Bm25Index implements PostingSource {
  /** Document number -> key; null once removed (its postings are skipped, then compacted away). */
  private keys: (string | null)[] = [];
  private ids = new Map<string, number>();
  private lengths: number[][] = FIELDS.map(() => []);
  private totals = FIELDS.map(() => 0);
  private postings: Map<string, number[]>[] = FIELDS.map(() => new Map());
  private dead = 0;

  static create(): Bm25Index {
    return new Bm25Index();
  }

  get size(): number {
    return this.ids.size;
  }

  has(key: string): boolean {
    return this.ids.has(key);
  }

  /** Adds a memory, replacing what was indexed under its key. */
  put(doc: Bm25Document): void {
    this.remove(doc.key);
    const id = this.keys.length;
    this.keys.push(doc.key);
    this.ids.set(doc.key, id);
    FIELDS.forEach((field, f) => {
      const found = terms(fieldText(doc, field));
      this.lengths[f][id] = found.length;
      this.totals[f] += found.length;
      const counts = new Map<string, number>();
      for (const term of found) counts.set(term, (counts.get(term) ?? 0) + 1);
      const postings = this.postings[f];
      for (const [term, tf] of counts) {
        const list = postings.get(term);
        if (list) list.push(id, tf);
        else postings.set(term, [id, tf]);
      }
    });
  }

  remove(key: string): void {
    const id = this.ids.get(key);
    if (id === undefined) return;
    this.ids.delete(key);
    this.keys[id] = null;
    FIELDS.forEach((_, f) => (this.totals[f] -= this.lengths[f][id]));
    // Postings of removed documents are skipped at search time and dropped once they pile up.
    if (++this.dead > 1000 && this.dead > this.ids.size / 4) this.compact();
  }

  /** The best `limit` memories for a query, best first, among those `accept` lets through. */
  search(query: string, limit: number, params: Bm25Parameters = DEFAULT_BM25, accept?: (key: string) => boolean): Bm25Hit[] {
    return scoreBm25(this, query, limit, params, accept);
  }

  // --- PostingSource: what scoreBm25 reads ---
  get slots(): number {
    return this.keys.length;
  }
  keyOf(doc: number): string | null {
    return this.keys[doc];
  }
  fieldTotal(f: number): number {
    return this.totals[f];
  }
  fieldLengths(f: number): ArrayLike<number> {
    return this.lengths[f];
  }
  postingsOf(f: number, term: string): ArrayLike<number> | undefined {
    return this.postings[f].get(term);
  }
  hasTerm(term: string): boolean {
    return this.postings.some((m) => m.has(term));
  }
  termsStartingWith(prefixes: string[], max: number): Set<string> {
    const found = new Set<string>();
    for (const postings of this.postings) {
      for (const term of postings.keys()) {
        if (prefixes.some((p) => term.startsWith(p))) found.add(term);
        if (found.size >= max) return found;
      }
    }
    return found;
  }

  /** The live documents with dense numbers, lengths and postings, compacted (what the index file stores). */
  parts(): Bm25Parts {
    this.compact();
    return { keys: this.keys as string[], lengths: this.lengths, postings: this.postings };
  }

  /** Rebuilds from `parts()` output (the index file decoded). */
  static fromParts(parts: Bm25Parts): Bm25Index {
    const index = new Bm25Index();
    index.keys = parts.keys;
    parts.keys.forEach((key, doc) => index.ids.set(key, doc));
    index.lengths = parts.lengths;
    index.totals = parts.lengths.map((l) => l.reduce((sum, n) => sum + n, 0));
    index.postings = parts.postings;
    return index;
  }

  /** Renumbers the live documents densely and drops the postings of removed ones. */
  private compact(): void {
    if (this.dead === 0) return;
    const renumber = new Int32Array(this.keys.length).fill(-1);
    const keys: string[] = [];
    const live: number[] = [];
    this.keys.forEach((key, doc) => {
      if (key === null) return;
      renumber[doc] = keys.push(key) - 1;
      live.push(doc);
    });
    this.lengths = this.lengths.map((l) => live.map((doc) => l[doc]));
    this.postings = this.postings.map((m) => {
      const next = new Map<string, number[]>();
      for (const [term, list] of m) {
        const kept: number[] = [];
        for (let i = 0; i < list.length; i += 2) if (renumber[list[i]] >= 0) kept.push(renumber[list[i]], list[i + 1]);
        if (kept.length > 0) next.set(term, kept);
      }
      return next;
    });
    this.keys = keys;
    this.ids = new Map(keys.map((k, i) => [k, i]));
    this.dead = 0;
  }
}

function fieldText(doc: Bm25Document, field: Field): string {
  return field === 'tags' ? doc.tags.join(' ') : doc[field];
}

/** Adds each field's own saturated BM25 to `scores` (a field's matches saturate apart from the others'). */
function scoreEachField(source: PostingSource, fields: readonly number[], wanted: Map<string, number>, params: Bm25Parameters, scores: Float64Array): void {
  const n = source.size;
  const live = (doc: number) => source.keyOf(doc) !== null;
  for (const f of fields) {
    const boost = params.boosts[FIELDS[f]];
    if (!boost) continue;
    const avg = source.fieldTotal(f) / n || 1;
    const lengths = source.fieldLengths(f);
    for (const [term, times] of wanted) {
      const list = source.postingsOf(f, term);
      if (!list) continue;
      let df = 0;
      for (let i = 0; i < list.length; i += 2) if (live(list[i])) df++;
      if (df === 0) continue;
      const weight = times * boost * idf(n, df);
      for (let i = 0; i < list.length; i += 2) {
        const doc = list[i];
        if (!live(doc)) continue;
        const tf = list[i + 1];
        const norm = params.k1 * (1 - params.b + (params.b * lengths[doc]) / avg);
        scores[doc] += (weight * tf * (params.k1 + 1)) / (tf + norm);
      }
    }
  }
}

/** Plain BM25 over any posting source: the one scoring rule for the in-memory index and the file. */
export function scoreBm25(source: PostingSource, query: string, limit: number, params: Bm25Parameters = DEFAULT_BM25, accept?: (key: string) => boolean): Bm25Hit[] {
  const n = source.size;
  if (n === 0) return [];
  const scores = new Float64Array(source.slots);
  const wanted = queryTerms(source, query);
  // Key and tags: each field saturates on its own (a name or label matched is its own evidence).
  scoreEachField(source, SEPARATE, wanted, params, scores);
  if (params.text === 'bm25f') scoreText(source, wanted, params, scores);
  else scoreEachField(source, TEXT, wanted, params, scores);
  // One pass in document order (cheaper than sorting the matches; ties rank the same every time).
  const top = new TopK<string>(limit);
  for (let doc = 0; doc < scores.length; doc++) {
    if (scores[doc] <= 0 || !top.wants(scores[doc])) continue;
    const key = source.keyOf(doc)!;
    if (!accept || accept(key)) top.offer(key, scores[doc]);
  }
  return top.items.map((key, i) => ({ key, score: top.scores[i] }));
}

const idf = (n: number, df: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));
const SEPARATE = [FIELDS.indexOf('key'), FIELDS.indexOf('tags')];
const TEXT = [FIELDS.indexOf('title'), FIELDS.indexOf('body')];

/**
 * BM25F over the headings and the body (Robertson, Zaragoza & Taylor 2004): a term's frequency in
 * each field is length-normalised in that field, weighted by the field's boost and summed, and the
 * sum saturates once, with one document frequency over both fields. The headings are also part of the
 * body, so saturating them apart counts a title word as two independent pieces of evidence.
 */
function scoreText(source: PostingSource, wanted: Map<string, number>, params: Bm25Parameters, scores: Float64Array): void {
  const n = source.size;
  const tf = new Float64Array(source.slots);
  const touched: number[] = [];
  for (const [term, times] of wanted) {
    for (const f of TEXT) {
      const boost = params.boosts[FIELDS[f]];
      const list = boost ? source.postingsOf(f, term) : undefined;
      if (!list) continue;
      const avg = source.fieldTotal(f) / n || 1;
      const lengths = source.fieldLengths(f);
      for (let i = 0; i < list.length; i += 2) {
        const doc = list[i];
        if (source.keyOf(doc) === null) continue;
        if (tf[doc] === 0) touched.push(doc);
        tf[doc] += (boost * list[i + 1]) / (1 - params.b + (params.b * lengths[doc]) / avg);
      }
    }
    if (touched.length === 0) continue;
    const weight = times * idf(n, touched.length);
    for (const doc of touched) {
      scores[doc] += (weight * tf[doc] * (params.k1 + 1)) / (tf[doc] + params.k1);
      tf[doc] = 0;
    }
    touched.length = 0;
  }
}

/**
 * Query terms with their weights. A word of 4+ letters that no memory holds also matches, at
 * PREFIX_WEIGHT, the terms it starts (so `postgres` finds `PostgreSQL`, `kube` finds `kubernetes`):
 * whole-word matches always count for more, and a query whose words all occur scores as plain BM25.
 */
function queryTerms(source: PostingSource, query: string): Map<string, number> {
  const wanted = new Map<string, number>();
  const add = (term: string, weight: number) => wanted.set(term, (wanted.get(term) ?? 0) + weight);
  for (const word of words(query)) {
    const term = indexTerm(word);
    if (!term) continue;
    if (word.length < 4 || source.hasTerm(term)) add(term, 1);
    else for (const longer of source.termsStartingWith([term, word], MAX_PREFIX_TERMS)) add(longer, PREFIX_WEIGHT);
  }
  return wanted;
}

/** The keys of the documents holding every one of these terms, in any field. */
export function keysHolding(source: PostingSource, wanted: string[]): Set<string> {
  let docs: Set<number> | null = null;
  for (const term of wanted) {
    const holding = new Set<number>();
    for (let f = 0; f < FIELDS.length; f++) {
      const list = source.postingsOf(f, term);
      if (list) for (let i = 0; i < list.length; i += 2) if (!docs || docs.has(list[i])) holding.add(list[i]);
    }
    docs = holding;
  }
  const keys = new Set<string>();
  for (const doc of docs ?? []) {
    const key = source.keyOf(doc);
    if (key !== null) keys.add(key);
  }
  return keys;
}
