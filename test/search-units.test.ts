import { describe, expect, it } from 'vitest';
import { Bm25Index, DEFAULT_BM25, type Bm25Parameters } from '../src/search/bm25.js';
import { chunkMarkdown, headings } from '../src/search/chunk.js';
import { fuseRankings, RRF_BASELINE, vectorTrust, DEFAULT_FUSION } from '../src/search/fusion.js';
import { terms } from '../src/search/tokenize.js';
import { CorruptVectorsError, VectorStore } from '../src/search/vector-store.js';

describe('analysis', () => {
  it('lowercases, drops stopwords and stems, the same for documents and queries', () => {
    expect(terms('The Runners were RUNNING to the databases')).toEqual(['runner', 'run', 'databas']);
    expect(terms('decisions/db-v2_final')).toEqual(['decis', 'db', 'v2', 'final']);
  });
});

describe('markdown chunking', () => {
  const section = (title: string, n: number) => `## ${title}\n\n` + Array.from({ length: n }, (_, i) => `Sentence ${i} about ${title.toLowerCase()}.`).join(' ') + '\n';

  it('keeps a short memory as one chunk', () => {
    const chunks = chunkMarkdown('# Title\n\nShort body.\n');
    expect(chunks).toHaveLength(1);
    expect(chunks[0].text).toBe('# Title\n\nShort body.');
  });

  it('cuts a long memory at headings, about 1,000 characters a chunk, and knows the heading trail', () => {
    const body = '# Guide\n\n' + section('Install', 40) + section('Configure', 40) + section('Deploy', 5);
    const chunks = chunkMarkdown(body);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(1000);
    const configure = chunks.filter((c) => c.heading === 'Guide > Configure');
    expect(configure.length).toBeGreaterThan(0);
    // A chunk cut inside a section is embedded with its heading trail and overlaps the one before.
    const continued = configure.find((c) => !c.text.startsWith('## '));
    expect(continued?.embedText.startsWith('Guide > Configure\n')).toBe(true);
    expect(headings(body)).toEqual(['Guide', 'Install', 'Configure', 'Deploy']);
  });

  it('ignores headings inside code fences and splits one huge paragraph into overlapping windows', () => {
    expect(headings('# Real\n```sh\n# not a heading\n```\n')).toEqual(['Real']);
    const words = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
    const chunks = chunkMarkdown(words);
    expect(chunks.length).toBeGreaterThan(3);
    const [first, second] = chunks;
    const tail = first.text.split(' ').slice(-3).join(' ');
    expect(second.text).toContain(tail);
  });
});

describe('BM25 scoring', () => {
  const index = Bm25Index.create();
  index.put({ key: 'a', tags: [], title: '', body: 'alpha beta gamma delta' });
  index.put({ key: 'b', tags: [], title: '', body: 'alpha alpha epsilon zeta' });
  index.put({ key: 'c', tags: [], title: '', body: 'beta eta theta iota' });
  index.put({ key: 'notes/kappa', tags: ['ops'], title: '', body: 'nothing here' });

  it('sums per-term scores: no bonus for the number of query terms matched', () => {
    const one = (q: string) => index.search(q, 10).find((h) => h.key === 'a')!.score;
    expect(index.search('alpha beta', 10).find((h) => h.key === 'a')!.score).toBeCloseTo(one('alpha') + one('beta'), 10);
  });

  it('finds stems and keys and tags, and replaces a document in place', () => {
    expect(index.search('alphas', 10).map((h) => h.key)).toEqual(['b', 'a']);
    expect(index.search('kappa', 10).map((h) => h.key)).toEqual(['notes/kappa']);
    expect(index.search('ops', 10).map((h) => h.key)).toEqual(['notes/kappa']);
    index.put({ key: 'c', tags: [], title: '', body: 'omega' });
    expect(index.search('theta', 10)).toEqual([]);
    expect(Bm25Index.fromParts(index.parts()).search('omega', 10).map((h) => h.key)).toEqual(['c']);
  });
});

describe('BM25F over headings and body', () => {
  const index = Bm25Index.create();
  // The heading is part of the body too, as in a real memory.
  index.put({ key: 'titled', tags: [], title: 'zeta', body: 'zeta\n\nzeta zeta zeta' });
  index.put({ key: 'plain', tags: [], title: '', body: 'zeta once, and other words here' });
  for (let i = 0; i < 8; i++) index.put({ key: `filler/${i}`, tags: [], title: '', body: `nothing like it ${i}` });
  const params = (text: 'bm25f' | 'separate'): Bm25Parameters => ({ ...DEFAULT_BM25, boosts: { ...DEFAULT_BM25.boosts, title: 2 }, text });
  const idf = Math.log(1 + (10 - 2 + 0.5) / (2 + 0.5));

  it('saturates a term once over both fields: its score never passes idf * (k1 + 1)', () => {
    const score = (text: 'bm25f' | 'separate') => index.search('zeta', 10, params(text)).find((h) => h.key === 'titled')!.score;
    expect(score('bm25f')).toBeLessThan(idf * (DEFAULT_BM25.k1 + 1));
    // Summed per field, the heading adds a second saturated score on top of the body's.
    expect(score('separate')).toBeGreaterThan(idf * (DEFAULT_BM25.k1 + 1));
    expect(index.search('zeta', 10, params('bm25f')).map((h) => h.key)).toEqual(['titled', 'plain']);
  });
});

describe('BM25 prefix matching for words no memory holds', () => {
  const index = Bm25Index.create();
  index.put({ key: 'db', tags: [], title: '', body: 'We chose PostgreSQL for the main store' });
  index.put({ key: 'k8s', tags: [], title: '', body: 'Deployment runs on Kubernetes' });
  index.put({ key: 'pg', tags: [], title: '', body: 'postgres tuning notes' });

  it('a missing word matches the terms it starts, at a lower weight than a whole word', () => {
    expect(index.search('kube', 10).map((h) => h.key)).toEqual(['k8s']);
    const whole = index.search('kubernetes', 10)[0].score;
    expect(index.search('kube', 10)[0].score).toBeCloseTo(whole / 2, 10);
  });

  it('a word some memory holds matches only whole (no prefix noise), and short words never expand', () => {
    expect(index.search('postgres', 10).map((h) => h.key)).toEqual(['pg']);
    expect(index.search('kub', 10)).toEqual([]);
  });
});

describe('fusion', () => {
  const list = (...keys: string[]) => keys.map((key, i) => ({ key, score: 1 - i / 100 }));

  it('baseline RRF adds 1/(60 + rank) from each list', () => {
    const { fused } = fuseRankings(list('a', 'b'), list('b', 'c'), RRF_BASELINE);
    expect(fused.map((f) => f.key)).toEqual(['b', 'a', 'c']);
    expect(fused[0].score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused[0]).toMatchObject({ bm25Rank: 2, vectorRank: 1 });
  });

  it('the agreement gate mutes a vector list that agrees with BM25 no more than chance', () => {
    const bm25 = list(...'abcdefghij'.split(''));
    const noise = list(...'klmnopqrst'.split(''));
    expect(vectorTrust(bm25, noise, DEFAULT_FUSION, 5000)).toBe(0);
    const { fused } = fuseRankings(bm25, noise, DEFAULT_FUSION, 5000);
    expect(fused.slice(0, 10).map((f) => f.key)).toEqual(bm25.map((b) => b.key));
    // Agreement on 3 of the top 10 gives the vectors full weight; BM25 finding little does too.
    expect(vectorTrust(bm25, list('a', 'b', 'c', 'x'), DEFAULT_FUSION, 5000)).toBeCloseTo(1, 1);
    expect(vectorTrust(list('a'), noise, DEFAULT_FUSION, 5000)).toBe(1);
  });
});

describe('vector store file', () => {
  it('round-trips vectors keyed by hash and refuses a truncated file', () => {
    const store = new VectorStore(3, 'fp');
    store.set('00112233445566778899aabbccddeeff', [1, 0, 0]);
    store.set('ffeeddccbbaa99887766554433221100', [0, 0.6, 0.8]);
    const bytes = store.serialize();
    const back = VectorStore.parse(bytes);
    expect(back.fingerprint).toBe('fp');
    expect(Array.from(back.get('ffeeddccbbaa99887766554433221100')!)).toEqual([0, Math.fround(0.6), Math.fround(0.8)]);
    expect(Array.from(back.scoreAll(new Float32Array([1, 0, 0])))).toEqual([1, 0]);
    expect(VectorStore.parse(store.serialize((h) => h.startsWith('ff'))).count).toBe(1);
    expect(() => VectorStore.parse(bytes.subarray(0, bytes.length - 3))).toThrow(CorruptVectorsError);
  });
});
