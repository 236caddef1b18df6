import { requireRoom } from '../../src/config.js';
import { InvalidInputError } from '../../src/errors.js';
import { reindexRoom, searchMemories } from '../../src/daemon/client.js';
import { readSettings } from '../../src/settings.js';
import type { IndexProgress, SearchKind, SearchMode, SearchOptions } from '../../src/search/types.js';
import { contextFrom, wholeNumber } from '../context.js';
import { isQuiet, printJson, printLine, warn, type CommonOptions } from '../output.js';

// Loaded only by `memory search` and `memory reindex`: the search code builds the BM25 index, and the
// embedder loads transformers.js on demand.

interface SearchFlags extends CommonOptions {
  limit?: string;
  mode?: SearchMode;
  prefix?: string;
  tag?: string[];
  by?: string;
  kind?: SearchKind;
  since?: string;
  explain?: boolean;
  minScore?: string;
}

export async function memorySearch(query: string, options: SearchFlags): Promise<void> {
  const context = contextFrom(options);
  const room = requireRoom(context);
  const searchOptions: SearchOptions = {
    limit: wholeNumber(options.limit, '--limit', 1),
    mode: options.mode,
    prefix: options.prefix,
    tags: options.tag,
    by: options.by,
    kind: options.kind,
    since: options.since,
    explain: options.explain,
    minScore: scoreFloor(options.minScore),
  };
  const response = await searchMemories(context.home, room, query, { ...searchOptions, onProgress: progressBar(), settings: readSettings(process.env) });
  warn(response.warnings);
  if (response.reason) warn([`mycelium: searching with BM25 only: ${response.reason}`]);
  if (options.json) return printJson({ room, mode: response.mode, ...(response.reason ? { reason: response.reason } : {}), results: response.results });
  if (response.results.length === 0) return printLine(`no matches in room '${room}'`);
  for (const r of response.results) {
    printLine(`${r.key}:${r.line}  v${r.version}  ${r.updated_at ?? '-'}  ${r.score.toFixed(4)}`);
    if (r.snippet) printLine(`    ${r.snippet}`);
    if (r.explain) {
      const e = r.explain;
      const part = (rank: number | null, score: number | null) => (rank === null ? '-' : `#${rank} ${score?.toFixed(4)}`);
      const weight = e.vector_weight === null ? '' : ` (vector weight ${e.vector_weight.toFixed(2)})`;
      printLine(`    bm25 ${part(e.bm25_rank, e.bm25_score)}  vector ${part(e.vector_rank, e.vector_score)}  fused ${e.fused_score?.toFixed(4) ?? '-'}${weight}`);
    }
  }
}

function scoreFloor(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const score = Number(value);
  if (value.trim() === '' || !Number.isFinite(score) || score < 0) throw new InvalidInputError(`--min-score takes a number of at least 0, got '${value}'`);
  return score;
}

export async function memoryReindex(options: CommonOptions & { mode?: SearchMode }): Promise<void> {
  const context = contextFrom(options);
  const room = requireRoom(context);
  const mode = options.mode as 'bm25' | 'hybrid' | undefined; // reindexRoom refuses anything else
  const done = await reindexRoom(context.home, room, { mode, onProgress: progressBar(), settings: readSettings(process.env) });
  warn(done.warnings);
  if (options.json) return printJson({ room, memories: done.memories, mode: done.mode, ...(done.reason ? { reason: done.reason } : {}), ms: done.ms });
  const vectors = done.mode === 'hybrid' ? 'with vectors' : `BM25 only (${done.reason})`;
  printLine(`reindexed room '${room}'${done.inDaemon ? ' in the daemon' : ''}: ${done.memories} memories, ${vectors}, ${done.ms} ms`);
}

/** A one-line progress bar on stderr when it is a terminal; nothing otherwise. */
function progressBar(): ((p: IndexProgress) => void) | undefined {
  if (!process.stderr.isTTY || isQuiet()) return undefined;
  let last = 0;
  return ({ phase, done, total }) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    const width = 30;
    const filled = Math.round((done / Math.max(1, total)) * width);
    const label = phase === 'read' ? 'reading  ' : 'embedding';
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done >= total) process.stderr.write('\n');
  };
}
