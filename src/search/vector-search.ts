import type { Ranked } from './fusion.js';
import type { FileEntry } from './index-files.js';
import { TopK } from './top-k.js';
import type { VectorStore } from './vector-store.js';

/**
 * Which vector rows belong to which memory, as flat arrays: built once after the index changes, so
 * a search over 100,000 memories is one pass over the scores with no map lookups.
 */
export interface VectorLayout {
  keys: string[];
  /** Rows of keys[i] are rows[start[i]] .. rows[start[i + 1] - 1]. */
  start: Int32Array;
  rows: Int32Array;
  /** The chunk hash of each entry of `rows`. */
  hashes: string[];
}

export function buildLayout(files: Map<string, FileEntry>, vectors: VectorStore): VectorLayout {
  const keys: string[] = [];
  const starts: number[] = [];
  const rows: number[] = [];
  const hashes: string[] = [];
  for (const [key, entry] of files) {
    const first = rows.length;
    for (const hash of entry.chunks) {
      const row = vectors.rowOf(hash);
      if (row === undefined) continue;
      rows.push(row);
      hashes.push(hash);
    }
    if (rows.length === first) continue;
    keys.push(key);
    starts.push(first);
  }
  starts.push(rows.length);
  return { keys, start: Int32Array.from(starts), rows: Int32Array.from(rows), hashes };
}

export interface VectorRanking {
  /** Memories by their best chunk's score, best first, at most `depth`. */
  ranked: Ranked[];
  /** The best chunk of each ranked memory (its snippet). */
  bestChunk: Map<string, string>;
  /** How many memories could be ranked (after filters): the fusion's chance level depends on it. */
  population: number;
}

/** A memory's score is its best chunk's; keeps the top `depth` in one pass. */
export function rankByVector(layout: VectorLayout, rowScores: Float32Array, depth: number, accept?: (key: string) => boolean): VectorRanking {
  const { keys, start, rows } = layout;
  const top = new TopK<[key: number, chunk: number]>(depth);
  let population = 0;
  for (let k = 0; k < keys.length; k++) {
    let best = -Infinity;
    let bestAt = -1;
    for (let i = start[k]; i < start[k + 1]; i++) {
      const score = rowScores[rows[i]];
      if (score > best) {
        best = score;
        bestAt = i;
      }
    }
    if (accept && !accept(keys[k])) continue;
    population++;
    if (top.wants(best)) top.offer([k, bestAt], best);
  }
  return {
    ranked: top.items.map(([k], i) => ({ key: keys[k], score: top.scores[i] })),
    bestChunk: new Map(top.items.map(([k, chunk]) => [keys[k], layout.hashes[chunk]])),
    population,
  };
}
