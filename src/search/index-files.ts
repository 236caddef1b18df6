import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs-atomic.js';
import { ioError } from '../errors.js';
import { CorruptVectorsError, VectorStore } from './vector-store.js';
import { BadIndexFileError, IndexFileReader } from './index-file.js';

/**
 * The on-disk index of one room, in `$MYCELIUM_HOME/index/<room>/`: a cache, rebuilt from the files
 * whenever it is missing, unreadable or made with other settings.
 *
 * - `index.bin`: the manifest (one entry per memory file) and the BM25 inverted index, in one file
 *   so one rename switches both; laid out for reading by offset (index-file.ts).
 * - `vectors.bin`: the vector store. Vectors are keyed by chunk hash, so any vector file is a valid
 *   cache for any manifest; a missing vector is simply embedded.
 */
export const INDEX_FILE = 'index.bin';
export const VECTORS_FILE = 'vectors.bin';
/** The JSON index of earlier versions: removed when a new index is written. */
const OLD_INDEX_FILE = 'index.json';

/** Bump when tokenizing, chunking or the manifest shape changes: old indexes are rebuilt. */
export const INDEX_FORMAT = 3;

/** What the index knows about one memory file. */
export interface FileEntry {
  mtimeMs: number;
  size: number;
  sha256: string;
  /** Content hashes of the file's chunks, in order. */
  chunks: string[];
  version: number;
  updated_at: string | null;
  updated_by: string | null;
  created_by: string | null;
  tags: string[];
  /** Why the file's text is not indexed (too large, not UTF-8); its key still is. */
  skipped?: string;
}

export type Loaded<T> = { value: T } | { absent: true } | { problem: string };

export { indexDir } from '../home-paths.js';

/** Opens the index file for reading on demand; the caller closes it. */
export function openIndexFile(dir: string): Loaded<IndexFileReader> {
  const path = join(dir, INDEX_FILE);
  try {
    return { value: new IndexFileReader(path) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { absent: true };
    if (err instanceof BadIndexFileError) return { problem: `${path} is ${err.message}` };
    throw ioError('read', path, err);
  }
}

export async function readVectorsFile(dir: string): Promise<Loaded<VectorStore>> {
  const path = join(dir, VECTORS_FILE);
  const bytes = await readOrAbsent(path);
  if (bytes === null) return { absent: true };
  try {
    return { value: VectorStore.parse(bytes) };
  } catch (err) {
    if (err instanceof CorruptVectorsError) return { problem: `${path} is unreadable (${err.message})` };
    throw err;
  }
}

/** Writes vectors first, then the manifest: each by rename, so a crash leaves a usable index. */
export async function writeIndexFiles(dir: string, index: Buffer, vectors: Buffer | null): Promise<void> {
  try {
    if (vectors) await writeFileAtomic(join(dir, VECTORS_FILE), vectors);
    await writeFileAtomic(join(dir, INDEX_FILE), index);
    await rm(join(dir, OLD_INDEX_FILE), { force: true });
  } catch (err) {
    throw ioError('write the search index in', dir, err);
  }
}

async function readOrAbsent(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw ioError('read', path, err);
  }
}
