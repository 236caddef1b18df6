/**
 * Retrieval quality on a BEIR-format dataset, through the same code path as real rooms: every
 * document becomes a memory file (`# title` then the text) in a temp home, the room is indexed by
 * RoomIndex.reconcile, and each query is a RoomIndex.search.
 *
 * usage: npm run eval:beir -- --corpus corpus.jsonl[.gz] --queries queries.jsonl --qrels qrels.tsv
 *          [--modes bm25,vector,hybrid] [--model-dir DIR] [--grid [--grid-text L] [--grid-k1 L] [--grid-b L] [--grid-title L]]
 *          [--fusion-grid]
 * Prints nDCG@10, Recall@10, Recall@100 and MRR@10 per mode; the last line is one JSON object.
 * --grid also scores BM25 over the text model, k1, b and title boost (comma lists; defaults
 * separate,bm25f / 0.9,1.2 / 0.4,0.75 / 0.5,1) and cross-validates the pick over two halves of the queries; --fusion-grid scores fusion variants on the same BM25 and vector lists (bench/metrics.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { serializeMemoryFile } from '../src/codec.js';
import { DEFAULT_BM25, type Bm25Parameters } from '../src/search/bm25.js';
import { loadEmbedder, type Embedder } from '../src/search/embedder.js';
import type { FusionParameters, Ranked } from '../src/search/fusion.js';
import { RoomIndex } from '../src/search/room-index.js';
import type { SearchMode } from '../src/search/types.js';
import { fusionVariants, scoreRun, type Metrics, type Qrels } from './metrics.js';

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const corpusPath = flag('--corpus');
const queriesPath = flag('--queries');
const qrelsPath = flag('--qrels');
if (!corpusPath || !queriesPath || !qrelsPath) {
  console.error('usage: npm run eval:beir -- --corpus F --queries F --qrels F [--modes bm25,vector,hybrid] [--model-dir D] [--grid] [--fusion-grid]');
  process.exit(2);
}
const modes = (flag('--modes') ?? 'bm25,vector,hybrid').split(',') as SearchMode[];

function readLines(path: string): string[] {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8').split('\n').filter((l) => l.trim());
}

const qrels: Qrels = new Map();
for (const line of readLines(qrelsPath).slice(1)) {
  const [query, doc, score] = line.split('\t');
  if (!qrels.has(query)) qrels.set(query, new Map());
  qrels.get(query)!.set(doc, Number(score));
}
const queries = readLines(queriesPath)
  .map((l) => JSON.parse(l) as { _id: string; text: string })
  .filter((q) => qrels.has(q._id));

// Document ids become keys; anything a key cannot hold becomes '_'.
const keyOf = (id: string) => `doc/d${id.replace(/[^A-Za-z0-9._-]/g, '_')}`;
const home = mkdtempSync(join(tmpdir(), 'mycelium-eval-'));
const idOfKey = new Map<string, string>();
let docs = 0;
for (const line of readLines(corpusPath)) {
  const doc = JSON.parse(line) as { _id: string; title?: string; text: string };
  const key = keyOf(doc._id);
  idOfKey.set(key, doc._id);
  const body = doc.title ? `# ${doc.title}\n\n${doc.text}\n` : `${doc.text}\n`;
  const path = join(home, 'rooms', 'eval', `${key}.md`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, serializeMemoryFile({ key, version: 1, tags: [] }, body));
  docs++;
}

let embedder: Embedder | null = null;
if (modes.some((m) => m !== 'bm25')) {
  const loaded = await loadEmbedder({ modelDir: flag('--model-dir'), env: process.env });
  if (loaded.embedder) embedder = loaded.embedder;
  else console.error(`no embedding model (${loaded.reason}); running bm25 only`);
}

try {
  const started = performance.now();
  const index = await RoomIndex.open(home, 'eval', { embedder });
  await index.reconcile();
  const indexMs = performance.now() - started;
  console.log(`dataset ${basename(dirname(corpusPath))}: ${docs} docs, ${queries.length} judged queries, indexed in ${Math.round(indexMs)} ms${embedder ? ` (model ${embedder.model}, ${embedder.dimension}-d)` : ''}`);

  const runMode = async (mode: SearchMode, extra: { bm25?: Bm25Parameters; fusion?: FusionParameters } = {}) => {
    const run = new Map<string, Ranked[]>();
    const times: number[] = [];
    for (const q of queries) {
      const t = performance.now();
      const response = await index.search(q.text, { mode, limit: 100, noSnippets: true, ...extra });
      times.push(performance.now() - t);
      run.set(q._id, response.results.map((r) => ({ key: idOfKey.get(r.key)!, score: r.score })));
    }
    times.sort((a, b) => a - b);
    return { run, p50: times[times.length >> 1] };
  };

  const summary: Record<string, Metrics | null> = { bm25: null, vector: null, hybrid: null };
  const runs: Record<string, Map<string, Ranked[]>> = {};
  let queryP50 = 0;
  for (const mode of modes) {
    if (mode !== 'bm25' && !embedder) continue;
    const { run, p50 } = await runMode(mode);
    runs[mode] = run;
    summary[mode] = scoreRun(run, qrels);
    queryP50 = Math.max(queryP50, p50);
    console.log(`${mode.padEnd(7)} ${format(summary[mode]!)}  query p50 ${p50.toFixed(1)} ms`);
  }

  if (args.includes('--grid')) {
    // Two-fold cross-validation over the judged queries (alternate ones): a setting is picked on one
    // half and scored on the other, so the figure reported for the pick is not the one it was picked on.
    const halves = [new Set(queries.filter((_, i) => i % 2 === 0).map((q) => q._id)), new Set(queries.filter((_, i) => i % 2 === 1).map((q) => q._id))];
    const on = (run: Map<string, Ranked[]>, half: Set<string>) => scoreRun(new Map([...run].filter(([id]) => half.has(id))), qrels);
    const tried: { name: string; all: Metrics; half: Metrics[] }[] = [];
    for (const text of (flag('--grid-text') ?? 'separate,bm25f').split(',') as Bm25Parameters['text'][]) {
      for (const k1 of (flag('--grid-k1') ?? '0.9,1.2').split(',').map(Number)) {
        for (const b of (flag('--grid-b') ?? '0.4,0.75').split(',').map(Number)) {
          for (const title of (flag('--grid-title') ?? '0.5,1').split(',').map(Number)) {
            const params: Bm25Parameters = { k1, b, boosts: { ...DEFAULT_BM25.boosts, title }, text };
            const { run } = await runMode('bm25', { bm25: params });
            const name = `text=${text} k1=${k1} b=${b} title=${title}`;
            tried.push({ name, all: scoreRun(run, qrels), half: halves.map((h) => on(run, h)) });
            console.log(`grid ${name}  ${format(tried.at(-1)!.all)}`);
          }
        }
      }
    }
    const best = (h: number) => tried.reduce((a, c) => (c.half[h]['ndcg@10'] > a.half[h]['ndcg@10'] ? c : a));
    for (const [pick, held] of [[0, 1], [1, 0]]) {
      const chosen = best(pick);
      console.log(`held out: best on half ${pick + 1} (${chosen.half[pick]['ndcg@10'].toFixed(4)}) is ${chosen.name}; on half ${held + 1} it scores ${format(chosen.half[held])}`);
    }
  }
  if (args.includes('--fusion-grid') && runs.bm25 && runs.vector) {
    for (const [name, fuse] of Object.entries(fusionVariants(docs))) {
      const run = new Map<string, Ranked[]>();
      for (const q of queries) run.set(q._id, fuse(runs.bm25.get(q._id)!, runs.vector.get(q._id)!));
      console.log(`fusion ${name.padEnd(24)} ${format(scoreRun(run, qrels))}`);
    }
  }
  console.log(
    JSON.stringify({
      dataset: basename(dirname(corpusPath)),
      docs,
      queries: queries.length,
      ...summary,
      index_ms: Math.round(indexMs),
      query_ms_p50: Number(queryP50.toFixed(2)),
    }),
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}

function format(m: Metrics): string {
  return `nDCG@10 ${m['ndcg@10'].toFixed(4)}  R@10 ${m['recall@10'].toFixed(4)}  R@100 ${m['recall@100'].toFixed(4)}  MRR@10 ${m['mrr@10'].toFixed(4)}`;
}
