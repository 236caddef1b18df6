import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Bm25Index, scoreBm25 } from '../src/search/bm25.js';
import { encodeIndexFile, IndexFileReader } from '../src/search/index-file.js';
import type { FileEntry } from '../src/search/index-files.js';
import { tempDir } from './helpers.js';

const entry = (i: number): FileEntry => ({
  mtimeMs: 1000 + i, size: 10 + i, sha256: `h${i}`, chunks: [], version: 1,
  updated_at: null, updated_by: null, created_by: null, tags: [],
});

describe('index file', () => {
  it('decoded for a change (materialize), every term keeps its postings: hundreds of terms across dictionary blocks', () => {
    const bm25 = Bm25Index.create();
    const files = new Map<string, FileEntry>();
    // 300 documents, each with a shared word and a word of its own: far more terms than one dictionary block.
    for (let i = 0; i < 300; i++) {
      bm25.put({ key: `old${i}`, tags: [], title: '', body: `oldword unique${i}` });
      files.set(`old${i}`, entry(i));
    }
    const path = join(tempDir(), 'index.bin');
    writeFileSync(path, encodeIndexFile(3, '{}', files, bm25));
    const reader = new IndexFileReader(path);
    expect(scoreBm25(reader, 'oldword', 1000).length).toBe(300); // read by offset
    const { bm25: decoded, files: decodedFiles } = reader.materialize();
    reader.close();
    expect(decodedFiles.size).toBe(300);
    expect(decoded.search('oldword', 1000).length).toBe(300);
    for (const i of [0, 63, 64, 65, 127, 128, 299]) expect(decoded.search(`unique${i}`, 5).map((h) => h.key)).toEqual([`old${i}`]);
    // Remove half, then encode and read again: the rest is still found.
    for (let i = 0; i < 150; i++) decoded.remove(`old${i}`);
    for (let i = 0; i < 150; i++) decodedFiles.delete(`old${i}`);
    writeFileSync(path, encodeIndexFile(3, '{}', decodedFiles, decoded));
    const again = new IndexFileReader(path);
    expect(again.materialize().bm25.search('oldword', 1000).length).toBe(150);
    again.close();
  });
});
