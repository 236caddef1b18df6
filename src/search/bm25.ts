import MiniSearch from 'minisearch';
import { terms } from './tokenize.js';

/**
 * Our BM25 over minisearch's inverted index. minisearch stores the postings and field lengths; the
 * scoring is ours: plain BM25 (no BM25+ delta) with k1/b tuned on SciFact train, per-field boosts,
 * English stemming and stopwords, and none of minisearch's default "multiply by the number of query
 * terms matched", which cost 6 points of nDCG@10 on SciFact (see bench/eval-beir.ts).
 */
export interface Bm25Parameters {
  /** Term-frequency saturation. */
  k1: number;
  /** Length normalisation (0: none, 1: full). */
  b: number;
  /** Weight of a match in each field. */
  boosts: { key: number; tags: number; title: number; body: number };
}

/** Tuned on SciFact train (bench/eval-beir.ts --grid); see README "Search quality". */
export const DEFAULT_BM25: Bm25Parameters = { k1: 0.9, b: 0.4, boosts: { key: 2, tags: 2, title: 0.25, body: 1 } };

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

const FIELDS = ['key', 'tags', 'title', 'body'] as const;

/** Tokens counted by the last tokenize call: the field length BM25 needs (see `countLengths`). */
interface TokenCount {
  last: number;
}

function options(count: TokenCount) {
  return {
    fields: [...FIELDS],
    idField: 'key',
    // Stemming and stopwords happen here, so queries and documents go through the same analysis.
    tokenize: (text: string) => {
      const out = terms(text);
      count.last = out.length;
      return out;
    },
    processTerm: (term: string) => term,
    extractField: (doc: Bm25Document, field: string) => {
      const value = (doc as unknown as Record<string, unknown>)[field];
      return Array.isArray(value) ? value.join(' ') : (value as string);
    },
    autoVacuum: { minDirtCount: 200, minDirtFactor: 0.05, batchSize: 5000, batchWait: 0 },
  };
}

/**
 * minisearch takes a field's length to be its number of distinct tokens; BM25 wants the number of
 * tokens. `add` tokenizes a field and then records its length, so the count the tokenizer just
 * made is the right one. (Measured on SciFact train: +N points of nDCG@10.)
 */
function countLengths(search: MiniSearch<Bm25Document>, count: TokenCount): MiniSearch<Bm25Document> {
  const internals = search as unknown as { addFieldLength(doc: number, field: number, n: number, length: number): void };
  const original = internals.addFieldLength;
  internals.addFieldLength = function (doc, field, n) {
    original.call(this, doc, field, n, count.last);
  };
  return search;
}

export class Bm25Index {
  private constructor(private readonly search_: MiniSearch<Bm25Document>) {}

  static create(): Bm25Index {
    const count = { last: 0 };
    return new Bm25Index(countLengths(new MiniSearch<Bm25Document>(options(count) as never), count));
  }

  /** Rebuilds from `toJSON()` output; throws when it is not a minisearch index. */
  static load(json: unknown): Bm25Index {
    const count = { last: 0 };
    return new Bm25Index(countLengths(MiniSearch.loadJS<Bm25Document>(json as never, options(count) as never), count));
  }

  get size(): number {
    return this.search_.documentCount;
  }

  has(key: string): boolean {
    return this.search_.has(key);
  }

  /** Adds a memory, replacing what was indexed under its key. */
  put(doc: Bm25Document): void {
    if (this.search_.has(doc.key)) this.search_.discard(doc.key);
    this.search_.add(doc);
  }

  remove(key: string): void {
    if (this.search_.has(key)) this.search_.discard(key);
  }

  /** The best `limit` memories for a query, best first, among those `accept` lets through. */
  search(query: string, limit: number, params: Bm25Parameters = DEFAULT_BM25, accept?: (key: string) => boolean): Bm25Hit[] {
    const found = this.search_.search(query, {
      combineWith: 'OR',
      prefix: false,
      fuzzy: false,
      boost: params.boosts,
      bm25: { k: params.k1, b: params.b, d: 0 },
      filter: accept ? (result) => accept(result.id as string) : undefined,
    });
    // minisearch multiplies each score by the number of distinct query terms matched; undo it.
    const hits = found.map((r) => ({ key: r.id as string, score: r.score / Math.max(1, r.queryTerms.length) }));
    hits.sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : 1));
    return hits.slice(0, limit);
  }

  toJSON(): unknown {
    return this.search_.toJSON();
  }
}
