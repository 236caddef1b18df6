import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoom } from '../src/rooms.js';
import { RoomIndex } from '../src/search/room-index.js';
import { words } from '../src/search/tokenize.js';
import { sharedDir, tempDir } from './helpers.js';

const tarball = join(sharedDir, 'corpora', 'tldr-pages.tar.gz');
const haveCorpus = existsSync(tarball);
if (!haveCorpus) console.warn(`skipping the Chinese/Japanese search tests on tldr-pages: ${tarball} is absent (they need ../shared)`);

const UNSPACED_WORD = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]{2,}$/u;

describe('words of scripts written without spaces', () => {
  it('cuts Chinese and Japanese into character bigrams and keeps English as it was', () => {
    expect(words('归档文件')).toEqual(['归档', '档文', '文件']);
    expect(words('ファイルを圧縮する')).toContain('圧縮');
    expect(words('tar命令 压 files')).toEqual(['tar', '命令', '压', 'files']);
    expect(words('Use tar to compress files, v1.2')).toEqual(['use', 'tar', 'to', 'compress', 'files', 'v1', '2']);
  });
});

describe.skipIf(!haveCorpus)('Chinese and Japanese tldr pages', () => {
  let home: string;
  let index: RoomIndex;
  /** key -> text of the zh and ja pages indexed. */
  const pages = new Map<string, string>();

  beforeAll(async () => {
    home = tempDir();
    await createRoom(home, 'tldr');
    const dir = join(home, 'rooms', 'tldr');
    // Only the zh and ja pages plus one English folder as a sample, to stay fast.
    execFileSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1', '--wildcards', 'tldr/pages.zh/*', 'tldr/pages.ja/*', 'tldr/pages/linux/*']);
    for (const lang of ['pages.zh', 'pages.ja']) {
      for (const folder of readdirSync(join(dir, lang))) {
        for (const file of readdirSync(join(dir, lang, folder))) pages.set(`${lang}/${folder}/${file.slice(0, -3)}`, readFileSync(join(dir, lang, folder, file), 'utf8'));
      }
    }
    renameSync(join(dir, 'pages'), join(dir, 'english')); // a sample, under a key prefix of its own
    index = await RoomIndex.open(home, 'tldr', { embedder: null });
    await index.reconcile();
  }, 120_000);

  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const top10 = async (query: string) => (await index.search(query, { mode: 'bm25', noSnippets: true })).results.map((r) => r.key);

  it.each(['归档', '压缩', '存档', '圧縮'])('finds %s inside sentences: every top-10 page holds it', async (word) => {
    const keys = await top10(word);
    const holding = [...pages].filter(([, text]) => text.includes(word)).map(([key]) => key);
    expect(keys.length).toBe(Math.min(10, holding.length));
    for (const key of keys) expect(holding).toContain(key);
  });

  it('finds the page a rare word of its description comes from, in the top 10', async () => {
    let tried = 0;
    let found = 0;
    const missed: string[] = [];
    for (const [key, text] of [...pages].filter((_, i) => i % 10 === 0)) {
      const description = text.split('\n').find((l) => l.startsWith('> ')) ?? '';
      // The description's word held by the fewest pages (at most 10, so the page can be in a top 10).
      const candidates = [...new Set(words(description))]
        .filter((w) => UNSPACED_WORD.test(w))
        .map((w) => ({ w, df: [...pages.values()].filter((t) => t.includes(w)).length }))
        .filter((c) => c.df <= 10)
        .sort((a, b) => a.df - b.df);
      if (candidates.length === 0) continue;
      tried++;
      if ((await top10(candidates[0].w)).includes(key)) found++;
      else missed.push(`${candidates[0].w} -> ${key}`);
    }
    expect(tried).toBeGreaterThan(50);
    expect(found / tried, missed.join('\n')).toBeGreaterThanOrEqual(0.95);
  }, 60_000);
});
