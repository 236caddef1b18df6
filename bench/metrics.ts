/** IR metrics for bench/eval-beir.ts: nDCG@10 (graded), Recall@10/@100, MRR@10, as BEIR computes them. */
import { DEFAULT_FUSION, fuseRankings, RRF_BASELINE, type FusionParameters, type Ranked } from '../src/search/fusion.js';

/** query id -> document id -> relevance grade. */
export type Qrels = Map<string, Map<string, number>>;

export interface Metrics {
  'ndcg@10': number;
  'recall@10': number;
  'recall@100': number;
  'mrr@10': number;
}

export function scoreRun(run: Map<string, Ranked[]>, qrels: Qrels): Metrics {
  const total = { 'ndcg@10': 0, 'recall@10': 0, 'recall@100': 0, 'mrr@10': 0 };
  let n = 0;
  for (const [query, judged] of qrels) {
    const ranked = run.get(query);
    if (!ranked) continue;
    n++;
    const relevant = [...judged].filter(([, g]) => g > 0);
    const ids = ranked.map((r) => r.key);
    let dcg = 0;
    ids.slice(0, 10).forEach((id, i) => (dcg += (judged.get(id) ?? 0) / Math.log2(i + 2)));
    const ideal = relevant.map(([, g]) => g).sort((a, b) => b - a).slice(0, 10);
    const idcg = ideal.reduce((sum, g, i) => sum + g / Math.log2(i + 2), 0);
    total['ndcg@10'] += idcg > 0 ? dcg / idcg : 0;
    const found = (k: number) => relevant.filter(([id]) => ids.slice(0, k).includes(id)).length / Math.max(1, relevant.length);
    total['recall@10'] += found(10);
    total['recall@100'] += found(100);
    const first = ids.slice(0, 10).findIndex((id) => (judged.get(id) ?? 0) > 0);
    total['mrr@10'] += first >= 0 ? 1 / (first + 1) : 0;
  }
  for (const k of Object.keys(total) as (keyof Metrics)[]) total[k] = n > 0 ? total[k] / n : 0;
  return total;
}

/** Fusion variants compared by --fusion-grid (each takes the BM25 and vector top 100). */
export function fusionVariants(population: number): Record<string, (bm25: Ranked[], vector: Ranked[]) => Ranked[]> {
  const with_ = (params: Partial<FusionParameters>) => (b: Ranked[], v: Ranked[]) =>
    fuseRankings(b, v, { ...RRF_BASELINE, ...params }, population).fused;
  return {
    'rrf k=60 (baseline)': with_({}),
    'rrf vector weight 0.5': with_({ vectorWeight: 0.5 }),
    'rrf vector weight 0.25': with_({ vectorWeight: 0.25 }),
    'rrf k=20': with_({ k: 20 }),
    'agreement top10 full3 (default)': with_({ agreement: DEFAULT_FUSION.agreement }),
    'agreement top10 full2': with_({ agreement: { top: 10, full: 2 } }),
    'agreement top20 full4': with_({ agreement: { top: 20, full: 4 } }),
    'bm25 only': (b) => b,
  };
}
