import type { Bm25Parameters } from './bm25.js';
import type { FusionParameters } from './fusion.js';

export type SearchMode = 'hybrid' | 'bm25' | 'vector';
export type SearchKind = 'memory' | 'message';
export const SEARCH_KINDS: readonly SearchKind[] = ['memory', 'message'];

export interface SearchOptions {
  /** Most results returned (default 10). */
  limit?: number;
  /** Default: hybrid when an embedding model is loaded, else bm25. */
  mode?: SearchMode;
  /** Only keys starting with this. */
  prefix?: string;
  /** Only memories carrying every one of these tags. */
  tags?: string[];
  /** Only memories created or last updated by this handle. */
  by?: string;
  /** `message`: only messages (keys under messages/); `memory`: everything else, free of chatter (issue 12). */
  kind?: SearchKind;
  /** Only memories updated at or after this date (ISO-8601 or anything Date.parse reads). */
  since?: string;
  /** Drop results scoring below this (the score shown with each result). */
  minScore?: number;
  /** Add each result's BM25 and vector rank and score and the fused score. */
  explain?: boolean;
  /** Scoring overrides, for tuning (bench/eval-beir.ts). */
  bm25?: Bm25Parameters;
  fusion?: FusionParameters;
  /** Skip reading files for snippets (bench/eval-beir.ts measures ranking only). */
  noSnippets?: boolean;
}

export interface SearchExplain {
  bm25_rank: number | null;
  bm25_score: number | null;
  vector_rank: number | null;
  vector_score: number | null;
  fused_score: number | null;
  /** Weight the vector list got in the fusion for this query (0..1; null outside hybrid mode). */
  vector_weight: number | null;
  /** Headings above the chunk shown as the snippet. */
  chunk_heading: string;
}

export interface SearchResult {
  key: string;
  score: number;
  version: number;
  updated_at: string | null;
  updated_by: string | null;
  tags: string[];
  snippet: string;
  /** The 1-based line of the file that best matches the query (1 when nothing was read). */
  line: number;
  explain?: SearchExplain;
}

export interface SearchResponse {
  room: string;
  mode: SearchMode;
  /** Why the mode is not the one asked for (no embedding model: the reason it could not load). */
  reason?: string;
  results: SearchResult[];
  /** One-line notices (index rebuilt, files not searchable by their text), for stderr. */
  warnings: string[];
}

export interface ReconcileStats {
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  ms: number;
}

/** Progress of long work (reading files, embedding chunks), for a progress bar. */
export interface IndexProgress {
  phase: 'read' | 'embed';
  done: number;
  total: number;
}
