import { existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, homeWithRoom, snapshot, tempDir, sharedDir } from './helpers.js';

const modelDir = join(sharedDir, 'models', 'local', 'tiny-random-bert');
const haveModel = existsSync(join(modelDir, 'config.json'));
if (!haveModel) console.warn(`skipping the hybrid CLI tests: ${modelDir} is absent (they need ../shared)`);
/** No model and no network attempt: BM25 alone, deterministic and fast. */
const offline = { MYCELIUM_OFFLINE: '1', MYCELIUM_MODEL_DIR: undefined };
const withModel = { MYCELIUM_MODEL_DIR: modelDir };

function seeded(): { home: string; room: string } {
  const home = homeWithRoom();
  cli(['memory', 'set', 'decisions/db', 'We chose PostgreSQL 16 for the main store', '--tags', 'database,infra', '--handle', 'ana'], { home });
  cli(['memory', 'set', 'context/deploy', 'Blue-green deploys to eu-west-1 with terraform', '--tags', 'infra', '--handle', 'bo'], { home });
  cli(['memory', 'set', 'notes/cooking', 'Pasta wants salted boiling water', '--handle', 'ana'], { home });
  return { home, room: join(home, 'rooms', 'team') };
}

const search = (home: string, args: string[], env: Record<string, string | undefined> = offline) => cli(['memory', 'search', ...args], { home, env });

describe('memory search', () => {
  it('prints {mode, reason, results} with BM25 alone when no model can load, saying so once on stderr', () => {
    const { home } = seeded();
    const started = Date.now();
    const result = search(home, ['PostgreSQL', '--json']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.mode).toBe('bm25');
    expect(out.reason).toMatch(/not downloaded and MYCELIUM_OFFLINE is set/);
    expect(out.results).toEqual([
      { key: 'decisions/db', score: expect.any(Number), version: 1, updated_at: expect.any(String), updated_by: 'ana', tags: ['database', 'infra'], snippet: 'We chose PostgreSQL 16 for the main store', line: expect.any(Number) },
    ]);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mycelium: searching with BM25 only: /)]);
    // --mode bm25 asks for no model: no notice at all.
    expect(search(home, ['PostgreSQL', '--mode', 'bm25']).stderr).toBe('');
  });

  it('filters with --prefix, repeated --tag, --by, --since and --limit', () => {
    const { home } = seeded();
    const keys = (args: string[]) => JSON.parse(search(home, [...args, '--json', '--mode', 'bm25']).stdout).results.map((r: { key: string }) => r.key).sort();
    const everything = 'postgresql terraform pasta';
    expect(keys([everything])).toEqual(['context/deploy', 'decisions/db', 'notes/cooking']);
    expect(keys([everything, '--tag', 'infra'])).toEqual(['context/deploy', 'decisions/db']);
    expect(keys([everything, '--tag', 'infra', '--tag', 'database'])).toEqual(['decisions/db']);
    expect(keys([everything, '--by', 'ana', '--prefix', 'notes/'])).toEqual(['notes/cooking']);
    expect(keys([everything, '--since', '2999-01-01'])).toEqual([]);
    expect(keys([everything, '--limit', '1'])).toHaveLength(1);
    const bad = search(home, [everything, '--limit', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit takes a whole number of at least 1/);
  });

  it('finds a file edited by hand a moment ago, and never a file deleted by hand', () => {
    const { home, room } = seeded();
    expect(search(home, ['pasta', '--json']).stdout).toContain('notes/cooking');
    writeFileSync(join(room, 'notes', 'cooking.md'), 'Risotto needs arborio rice\n');
    rmSync(join(room, 'context', 'deploy.md'));
    expect(JSON.parse(search(home, ['arborio', '--json']).stdout).results.map((r: { key: string }) => r.key)).toEqual(['notes/cooking']);
    expect(JSON.parse(search(home, ['pasta terraform', '--json']).stdout).results).toEqual([]);
  });

  it.skipIf(!haveModel)('searches hybrid with a local model and explains each score', () => {
    const { home } = seeded();
    const result = search(home, ['boiling pasta', '--explain', '--json'], withModel);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout);
    expect(out.mode).toBe('hybrid');
    expect(out.results[0].key).toBe('notes/cooking');
    expect(out.results[0].explain).toEqual({
      bm25_rank: 1, bm25_score: expect.any(Number), vector_rank: expect.any(Number), vector_score: expect.any(Number),
      fused_score: out.results[0].score, vector_weight: expect.any(Number), chunk_heading: '',
    });
    const text = search(home, ['boiling pasta', '--explain'], withModel);
    expect(text.stdout).toMatch(/^notes\/cooking:\d+ {2}v1 {2}\S+ {2}[\d.]+\n {4}Pasta wants salted boiling water\n {4}bm25 #1 /);
    expect(JSON.parse(search(home, ['boiling pasta', '--mode', 'vector', '--json'], withModel).stdout).results).toHaveLength(3);
  });

  it('memory reindex rebuilds the index from scratch; deleting the index loses nothing', () => {
    const { home } = seeded();
    const result = cli(['memory', 'reindex', '--json'], { home, env: offline });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ room: 'team', memories: 3, mode: 'bm25' });
    expect(result.stderr).not.toMatch(/\[#/); // no progress bar when stderr is not a terminal
    rmSync(join(home, 'index'), { recursive: true });
    const again = search(home, ['terraform', '--json']);
    expect(JSON.parse(again.stdout).results.map((r: { key: string }) => r.key)).toEqual(['context/deploy']);
    expect(existsSync(join(home, 'index', 'team', 'index.bin'))).toBe(true);
  });

  it.skipIf(!haveModel)('memory reindex with a model embeds every chunk again', () => {
    const { home } = seeded();
    const result = cli(['memory', 'reindex', '--json'], { home, env: withModel });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ room: 'team', memories: 3, mode: 'hybrid' });
    const vectors = readFileSync(join(home, 'index', 'team', 'vectors.bin'));
    expect(vectors.readUInt32LE(8)).toBe(32); // dimension
    expect(vectors.readUInt32LE(12)).toBe(3); // one chunk per memory
    const text = cli(['memory', 'reindex'], { home, env: withModel });
    expect(text.stdout).toMatch(/^reindexed room 'team': 3 memories, with vectors, \d+ ms\n$/);
  });

  it('concurrent searches that all rebuild the index leave a readable one', async () => {
    const { home } = seeded();
    const runs = await Promise.all(Array.from({ length: 4 }, () => cliAsync(['memory', 'search', 'terraform', '--json'], { home, env: offline })));
    for (const run of runs) expect(JSON.parse(run.stdout).results[0].key).toBe('context/deploy');
    const after = search(home, ['terraform']);
    expect(after.stderr).not.toMatch(/notice/);
  });
});

describe('memory search: bad input', () => {
  it.each([
    ['an empty query', '', /empty query/],
    ['a blank query', '   ', /empty query/],
    ['a query of 10,000 characters', 'word '.repeat(2000), /query is 9999 characters, over the 2000-character limit/],
  ])('%s: exit 2, one line, nothing changed', (_label, query, message) => {
    const { home } = seeded();
    const before = snapshot(join(home, 'rooms'));
    const result = search(home, [query]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshot(join(home, 'rooms'))).toEqual(before);
  });

  it('an unknown room: exit 1, naming the rooms there are', () => {
    const { home } = seeded();
    const result = search(home, ['x', '--room', 'nope']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unknown room 'nope' \(rooms: team\)/);
  });

  it.each([
    ['corrupted', (bytes: Buffer) => Buffer.from('{not json')],
    ['truncated', (bytes: Buffer) => bytes.subarray(0, bytes.length >> 1)],
    ['valid JSON, not an index', () => Buffer.from('[1,2,3]')],
  ])('a %s index file is rebuilt with a one-line notice', (_label, damage) => {
    const { home } = seeded();
    search(home, ['pasta']);
    const path = join(home, 'index', 'team', 'index.bin');
    writeFileSync(path, damage(readFileSync(path)));
    const result = search(home, ['pasta', '--json', '--mode', 'bm25']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).results.map((r: { key: string }) => r.key)).toEqual(['notes/cooking']);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^notice: search index of room 'team': .*index\.bin is (unreadable|not an index|cut short|sections disagree).*; rebuilding it from the files$/)]);
    expect(search(home, ['pasta', '--mode', 'bm25']).stderr).toBe('');
  });

  it.skipIf(!haveModel)('a truncated vector file is re-embedded with a one-line notice', () => {
    const { home } = seeded();
    search(home, ['pasta'], withModel);
    const path = join(home, 'index', 'team', 'vectors.bin');
    writeFileSync(path, readFileSync(path).subarray(0, 40));
    const result = search(home, ['pasta', '--json'], withModel);
    expect(JSON.parse(result.stdout).mode).toBe('hybrid');
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/vectors\.bin is unreadable .*; re-embedding$/)]);
  });

  it.skipIf(!haveModel)('a --mode bm25 search never reads the vector file, even with a model at hand', () => {
    const { home } = seeded();
    search(home, ['pasta'], withModel);
    const path = join(home, 'index', 'team', 'vectors.bin');
    const garbage = readFileSync(path).subarray(0, 40);
    writeFileSync(path, garbage); // had it been read, it would be re-embedded with a notice (test above)
    const result = search(home, ['pasta', '--json', '--mode', 'bm25'], withModel);
    expect(JSON.parse(result.stdout).results.map((r: { key: string }) => r.key)).toEqual(['notes/cooking']);
    expect(result.stderr).toBe('');
    expect(readFileSync(path)).toEqual(garbage);
  });

  it('a model folder with a missing file falls back to BM25 with the reason', () => {
    const { home } = seeded();
    const broken = tempDir();
    writeFileSync(join(broken, 'config.json'), '{}');
    const result = search(home, ['pasta', '--json'], { MYCELIUM_MODEL_DIR: broken });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ mode: 'bm25', results: [{ key: 'notes/cooking' }] });
    expect(out.reason).toBe(`model folder ${broken} is missing tokenizer.json, tokenizer_config.json, onnx/model.onnx; fix MYCELIUM_MODEL_DIR or unset it`);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a file that is not UTF-8 is skipped with one warning; the rest stays searchable', () => {
    const { home, room } = seeded();
    writeFileSync(join(room, 'notes', 'latin.md'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x70, 0x61, 0x73, 0x74, 0x61, 0x0a])); // "café pasta" in latin-1
    const result = search(home, ['pasta', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).results.map((r: { key: string }) => r.key)).toEqual(['notes/cooking']);
    expect(result.stderr).toContain(`warning: ${join(room, 'notes', 'latin.md')}: not searchable by its text, it is not UTF-8`);
    expect(search(home, ['pasta']).stderr).not.toContain('warning');
    expect(JSON.parse(search(home, ['latin', '--json']).stdout).results.map((r: { key: string }) => r.key)).toEqual(['notes/latin']);
  });

  it('a 50 MB markdown file is skipped (never read) with a warning; its key stays searchable', () => {
    const { home, room } = seeded();
    const path = join(room, 'notes', 'huge.md');
    const fd = openSync(path, 'w');
    const block = Buffer.from('pasta '.repeat(1024 * 1024 / 6));
    for (let written = 0; written < 50 * 1024 * 1024; written += block.length) writeSync(fd, block);
    closeSync(fd);
    const result = search(home, ['pasta', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).results.map((r: { key: string }) => r.key)).toEqual(['notes/cooking']);
    expect(result.stderr).toMatch(/warning: .*huge\.md: not searchable by its text, it is \d+ bytes \(over MYCELIUM_MAX_INDEX_BYTES=8388608\)/);
    expect(JSON.parse(search(home, ['huge', '--json']).stdout).results.map((r: { key: string }) => r.key)).toEqual(['notes/huge']);
  });
});

describe('import paths', () => {
  it('memory set/get/ls load no search, synthesis or ingest code; memory search does', () => {
    const { home } = seeded();
    const trace = join(tempDir(), 'imports.txt');
    const loaded = (args: string[]) => {
      writeFileSync(trace, '');
      const env = { ...offline, TRACE_IMPORTS_FILE: trace, NODE_OPTIONS: `--import ${join(import.meta.dirname, 'workers', 'trace-imports.mjs')}` };
      expect(cli(args, { home, env }).code).toBe(0);
      return readFileSync(trace, 'utf8');
    };
    for (const args of [['memory', 'set', 'a/b', 'x'], ['memory', 'get', 'a/b'], ['memory', 'ls']]) {
      const modules = loaded(args);
      expect(modules).not.toMatch(/\/search\/|minisearch|@huggingface/);
      // issue 17: the after-write step checks two files, nothing more (trigger-key, write-counter and settings: constants, a one-byte append and a config read)
      expect(modules).not.toMatch(/\/coord\/synthesis\/(?!trigger-key\.js|write-counter\.js)|\/ingest\/(?!settings\.js)/);
    }
    expect(loaded(['memory', 'search', 'pasta', '--mode', 'bm25'])).toMatch(/dist\/src\/search\/room-index\.js/);
  });
});
