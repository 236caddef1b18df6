import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRoom } from '../src/rooms.js';
import { Room } from '../src/room.js';
import { loadEmbedder, type Embedder } from '../src/search/embedder.js';
import { RoomIndex, searchRoom } from '../src/search/room-index.js';
import { VectorStore } from '../src/search/vector-store.js';
import { sharedDir, tempDir } from './helpers.js';

const modelDir = join(sharedDir, 'models', 'local', 'tiny-random-bert');
const haveModel = existsSync(join(modelDir, 'config.json'));
if (!haveModel) console.warn(`skipping the embedding tests: ${modelDir} is absent (they need ../shared)`);

/** The real embedder, counting the texts it embeds. */
function counting(embedder: Embedder): Embedder & { texts: string[] } {
  const texts: string[] = [];
  return { ...embedder, texts, embed: async (batch) => (texts.push(...batch), embedder.embed(batch)) };
}

async function roomWith(files: Record<string, string>): Promise<{ home: string; dir: string }> {
  const home = tempDir();
  await createRoom(home, 'team');
  const dir = join(home, 'rooms', 'team');
  for (const [key, text] of Object.entries(files)) {
    mkdirSync(join(dir, key, '..'), { recursive: true });
    writeFileSync(join(dir, `${key}.md`), text);
  }
  return { home, dir };
}

const notes = {
  'decisions/db': '# Database\n\nWe chose PostgreSQL 16 for the main store.\n',
  'context/deploy': '# Deploy\n\nBlue-green deploys to eu-west-1 with terraform.\n',
  'notes/cooking': '# Cooking\n\nPasta wants salted boiling water.\n',
};

describe('BM25 index kept true to the files (no model)', () => {
  it('finds a hand edit by its new words, never returns a deleted file, trusts unchanged files', async () => {
    const { home, dir } = await roomWith(notes);
    const first = await RoomIndex.open(home, 'team', { embedder: null });
    expect(await first.reconcile()).toMatchObject({ added: 3, updated: 0, removed: 0, unchanged: 0 });
    await first.save();

    writeFileSync(join(dir, 'notes/cooking.md'), '# Cooking\n\nRisotto needs arborio rice.\n');
    rmSync(join(dir, 'context/deploy.md'));
    const second = await RoomIndex.open(home, 'team', { embedder: null });
    expect(await second.reconcile()).toMatchObject({ added: 0, updated: 1, removed: 1, unchanged: 1 });
    expect((await second.search('arborio')).results.map((r) => r.key)).toEqual(['notes/cooking']);
    expect((await second.search('pasta')).results).toEqual([]);
    expect((await second.search('terraform')).results).toEqual([]);

    // Same mtime and size: trusted without reading (the stale words are still found).
    const path = join(dir, 'decisions/db.md');
    const before = readFileSync(path, 'utf8');
    writeFileSync(path, before.replace('PostgreSQL', 'MariaDBxxx'));
    const stamp = new Date(Date.now() - 60_000);
    utimesSync(path, stamp, stamp);
    await second.reconcile();
    utimesSync(path, stamp, stamp);
    writeFileSync(path, before);
    utimesSync(path, stamp, stamp);
    expect((await second.reconcile()).unchanged).toBe(2);
    expect((await second.search('mariadbxxx')).results.map((r) => r.key)).toEqual(['decisions/db']);
  });

  it('compares the walk with the index file in any document order: edits, additions and removals are all seen', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 150; i++) many[`pages/p${i}`] = `# Page ${i}\n\nword${i} common text\n`;
    const { home, dir } = await roomWith(many);
    const build = await RoomIndex.open(home, 'team', { embedder: null });
    expect((await build.reconcile()).added).toBe(150);
    await build.save();
    const bytes = readFileSync(join(home, 'index', 'team', 'index.bin'));
    // Indexed from scratch again, the folder gives the same file: documents are numbered in walk order.
    const again = await RoomIndex.open(home, 'team', { embedder: null });
    await again.rebuild();
    await again.save();
    expect(readFileSync(join(home, 'index', 'team', 'index.bin')).equals(bytes)).toBe(true);
    // An edit moves its document to the end; saved, the index is then out of walk order.
    writeFileSync(join(dir, 'pages/p7.md'), '# Page 7\n\nzebra moved here\n');
    const moved = await RoomIndex.open(home, 'team', { embedder: null });
    expect(await moved.reconcile()).toMatchObject({ added: 0, updated: 1, removed: 0, unchanged: 149 });
    await moved.save();
    expect(readFileSync(join(home, 'index', 'team', 'index.bin')).equals(bytes)).toBe(false);

    const later = new Date(Date.now() + 5_000);
    writeFileSync(join(dir, 'pages/p100.md'), '# Page 100\n\nllama100 common text\n'); // same size, new words
    utimesSync(join(dir, 'pages/p100.md'), later, later);
    rmSync(join(dir, 'pages/p3.md'));
    writeFileSync(join(dir, 'pages/new.md'), '# New\n\nokapi arrived\n');
    const fresh = await RoomIndex.open(home, 'team', { embedder: null });
    expect(await fresh.reconcile()).toMatchObject({ added: 1, updated: 1, removed: 1, unchanged: 148 });
    expect((await fresh.search('llama100')).results.map((r) => r.key)).toEqual(['pages/p100']);
    expect((await fresh.search('word100')).results).toEqual([]);
    expect((await fresh.search('word3')).results).toEqual([]);
    expect((await fresh.search('okapi')).results.map((r) => r.key)).toEqual(['pages/new']);
    expect((await fresh.search('zebra')).results.map((r) => r.key)).toEqual(['pages/p7']);
    await fresh.save();
    expect(await (await RoomIndex.open(home, 'team', { embedder: null })).reconcile()).toMatchObject({ added: 0, updated: 0, removed: 0, unchanged: 150 });
  });

  it('never returns a file deleted after the last reconcile, and refresh() follows named keys', async () => {
    const { home, dir } = await roomWith(notes);
    const index = await RoomIndex.open(home, 'team', { embedder: null });
    await index.reconcile();
    rmSync(join(dir, 'notes/cooking.md'));
    expect((await index.search('pasta')).results).toEqual([]);
    writeFileSync(join(dir, 'notes/new.md'), 'Sourdough starter schedule\n');
    writeFileSync(join(dir, 'decisions/db.md'), 'We moved to SQLite.\n');
    rmSync(join(dir, 'context/deploy.md'));
    await index.refresh(['notes/new', 'decisions/db.md', 'context/deploy']);
    expect((await index.search('sourdough')).results.map((r) => r.key)).toEqual(['notes/new']);
    expect((await index.search('sqlite')).results.map((r) => r.key)).toEqual(['decisions/db']);
    expect((await index.search('terraform')).results).toEqual([]);
    expect(index.size).toBe(2);
  });

  it('filters by prefix, tag, author and date, and explains scores', async () => {
    const home = tempDir();
    await createRoom(home, 'team');
    const room = await Room.open(home, 'team');
    await room.set('infra/db', 'database failover runbook', { handle: 'ana', tags: ['ops', 'db'] });
    await room.set('infra/cache', 'database cache warmup', { handle: 'bo', tags: ['ops'] });
    await room.set('product/db', 'database pricing page', { handle: 'ana', tags: ['db'] });
    const search = (options: object) => searchRoom(home, 'team', 'database', { mode: 'bm25', ...options }).then((r) => r.results.map((x) => x.key).sort());
    expect(await search({ prefix: 'infra/' })).toEqual(['infra/cache', 'infra/db']);
    expect(await search({ tags: ['ops', 'db'] })).toEqual(['infra/db']);
    expect(await search({ by: 'ana' })).toEqual(['infra/db', 'product/db']);
    expect(await search({ since: '2999-01-01' })).toEqual([]);
    expect(await search({ since: '2000-01-01' })).toHaveLength(3);
    const explained = await searchRoom(home, 'team', 'failover', { mode: 'bm25', explain: true });
    expect(explained.results[0]).toMatchObject({ key: 'infra/db', version: 1, updated_by: 'ana', tags: ['ops', 'db'], snippet: 'database failover runbook' });
    expect(explained.results[0].explain).toMatchObject({ bm25_rank: 1, vector_rank: null, fused_score: null });
    await expect(searchRoom(home, 'team', 'x', { mode: 'bm25', since: 'yesterday-ish' })).rejects.toThrow(/--since takes a date/);
  });
});

describe.skipIf(!haveModel)('embeddings through the real transformers.js path (tiny-random-bert)', () => {
  let embedder: Embedder;
  beforeAll(async () => {
    const loaded = await loadEmbedder({ modelDir });
    if (!loaded.embedder) throw new Error(loaded.reason);
    embedder = loaded.embedder;
  });

  it('loads from a local folder: 32 dimensions, unit length, deterministic, mean pooling by default', async () => {
    expect(embedder).toMatchObject({ model: 'tiny-random-bert', dimension: 32, pooling: 'mean' });
    const [a, b] = await embedder.embed(['the same text', 'the same text']);
    const [c] = await embedder.embed(['the same text']);
    expect(a).toHaveLength(32);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).toEqual(Array.from(c));
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
    const cls = await loadEmbedder({ modelDir, pooling: 'cls' });
    expect(cls.embedder!.fingerprint).not.toBe(embedder.fingerprint);
    expect(Array.from((await cls.embedder!.embed(['the same text']))[0])).not.toEqual(Array.from(a));
  });

  it('a model folder with a missing file gives the reason, not a crash', async () => {
    const broken = tempDir();
    for (const f of ['config.json', 'tokenizer_config.json']) writeFileSync(join(broken, f), readFileSync(join(modelDir, f)));
    const loaded = await loadEmbedder({ modelDir: broken });
    expect(loaded.embedder).toBeNull();
    expect('reason' in loaded && loaded.reason).toMatch(/missing tokenizer\.json, onnx\/model\.onnx/);
  });

  it('persists vectors, never re-embeds an unchanged or renamed chunk, and re-embeds when the fingerprint changes', async () => {
    const { home, dir } = await roomWith(notes);
    const first = counting(embedder);
    const index = await RoomIndex.open(home, 'team', { embedder: first });
    await index.reconcile();
    await index.save();
    expect(first.texts).toHaveLength(3);
    const stored = VectorStore.parse(readFileSync(join(home, 'index', 'team', 'vectors.bin')));
    expect(stored).toMatchObject({ dimension: 32, count: 3 });

    renameSync(join(dir, 'notes/cooking.md'), join(dir, 'notes/kitchen.md'));
    const second = counting(embedder);
    const reopened = await RoomIndex.open(home, 'team', { embedder: second });
    expect(await reopened.reconcile()).toMatchObject({ added: 1, removed: 1, unchanged: 2 });
    expect(second.texts).toEqual([]);
    const hybrid = await reopened.search('boiling water pasta', { explain: true });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.results[0].key).toBe('notes/kitchen');
    expect(hybrid.results[0].explain).toMatchObject({ bm25_rank: 1, vector_rank: expect.any(Number) });
    const vectorOnly = await reopened.search('anything at all', { mode: 'vector' });
    expect(vectorOnly.results).toHaveLength(3);
    await reopened.save();

    const other = (await loadEmbedder({ modelDir, pooling: 'cls' })).embedder!;
    const third = counting(other);
    const changed = await RoomIndex.open(home, 'team', { embedder: third });
    expect(changed.takeWarnings().join('\n')).toMatch(/embedding model or settings changed/);
    await changed.reconcile();
    expect(third.texts).toHaveLength(3);
    await changed.save();
    expect(VectorStore.parse(readFileSync(join(home, 'index', 'team', 'vectors.bin'))).fingerprint).toContain('"pooling":"cls"');
  });

  it('embeds what a BM25-only run left without vectors, and rebuilds a truncated vector file', async () => {
    const { home } = await roomWith(notes);
    await searchRoom(home, 'team', 'pasta', { mode: 'bm25' });
    const later = counting(embedder);
    const index = await RoomIndex.open(home, 'team', { embedder: later });
    await index.reconcile();
    expect(later.texts).toHaveLength(3);
    await index.save();
    const path = join(home, 'index', 'team', 'vectors.bin');
    writeFileSync(path, readFileSync(path).subarray(0, 50));
    const again = counting(embedder);
    const repaired = await RoomIndex.open(home, 'team', { embedder: again });
    expect(repaired.takeWarnings().join('\n')).toMatch(/vectors\.bin is unreadable .*re-embedding/);
    await repaired.reconcile();
    expect(again.texts).toHaveLength(3);
  });
});
