import { parseMemoryFile, readHeader } from '../codec.js';
import { IoError, UnsafeFileError } from '../errors.js';
import { readConfined } from '../fs-confined.js';
import { memoryPath } from '../keys.js';
import type { Bm25Document } from './bm25.js';
import { chunkMarkdown, headings, type Chunk, type ChunkingParameters } from './chunk.js';
import type { FileEntry } from './index-files.js';
import type { FileStamp } from '../room-scan.js';
import { contentHash } from '../content-hash.js';


export interface HashedChunk extends Chunk {
  hash: string;
}

/** A memory file as the index sees it. */
export interface IndexedText {
  entry: FileEntry;
  doc: Bm25Document;
  chunks: HashedChunk[];
  /** Set when the text was skipped: one line naming the file and why. */
  warning?: string;
}

/** The content hash that keys a chunk's vector (128 bits of sha256 of what is embedded). */
export function chunkHash(embedText: string): string {
  return contentHash(embedText).slice(0, 32);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads one memory file of a room folder for the index; null when it is gone (or is a symlink or no regular file). */
export async function readForIndex(
  roomDir: string,
  key: string,
  stat: FileStamp,
  chunking: ChunkingParameters,
  /** Files larger than this are not read (their key still is): the settings' `maxIndexBytes`. */
  maxBytes: number,
): Promise<IndexedText | null> {
  const path = memoryPath(roomDir, key);
  if (stat.size > maxBytes) {
    return skipped(key, stat, '', `larger than ${maxBytes} bytes`, `warning: ${path}: not searchable by its text, it is ${stat.size} bytes (over MYCELIUM_MAX_INDEX_BYTES=${maxBytes})`);
  }
  let bytes: Buffer | undefined;
  try {
    bytes = await readConfined(roomDir, path);
  } catch (err) {
    if (err instanceof UnsafeFileError) return null; // never indexed: a link could point anywhere
    // An unreadable file (EACCES) hides only itself: the rest of the room is searched.
    if (err instanceof IoError) return skipped(key, stat, '', 'cannot read it', `warning: ${path}: not searchable, ${err.message}`);
    throw err;
  }
  if (bytes === undefined) return null;
  const sha256 = contentHash(bytes);
  const actual = { mtimeMs: stat.mtimeMs, size: bytes.length };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return skipped(key, actual, sha256, 'not UTF-8 text', `warning: ${path}: not searchable by its text, it is not UTF-8; convert it with iconv`);
  }
  return indexText(key, text, actual, sha256, chunking);
}

/** The index's view of a memory given its text (also used by benchmarks and tests). */
export function indexText(key: string, text: string, stat: FileStamp, sha256: string, chunking: ChunkingParameters): IndexedText {
  const { meta, body } = parseMemoryFile(text);
  const header = readHeader(meta);
  const tags = header.tags;
  const chunks = chunkMarkdown(body, chunking).map((c) => ({ ...c, hash: chunkHash(c.embedText) }));
  return {
    entry: {
      mtimeMs: stat.mtimeMs,
      size: stat.size,
      sha256,
      chunks: chunks.map((c) => c.hash),
      version: header.version,
      updated_at: header.updated_at ?? new Date(stat.mtimeMs).toISOString(),
      updated_by: header.updated_by,
      created_by: header.created_by,
      tags,
    },
    doc: { key, tags, title: headings(body).join('\n'), body },
    chunks,
  };
}

function skipped(key: string, stat: FileStamp, sha256: string, why: string, warning: string): IndexedText {
  return {
    entry: { mtimeMs: stat.mtimeMs, size: stat.size, sha256, chunks: [], version: 0, updated_at: new Date(stat.mtimeMs).toISOString(), updated_by: null, created_by: null, tags: [], skipped: why },
    doc: { key, tags: [], title: '', body: '' },
    chunks: [],
    warning,
  };
}
