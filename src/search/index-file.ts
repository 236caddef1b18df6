import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Bm25Index, FIELDS, type Bm25Parts, type PostingSource } from './bm25.js';
import type { FileEntry } from './index-files.js';
import type { FolderListing } from '../room-scan.js';
import { decodeFolderListings, encodeFolderListings } from './folder-listings.js';
import { byCodeUnit } from '../text-order.js';

/**
 * The binary index file (`index.bin`): the manifest and the BM25 index of one room, laid out so a
 * search reads only what it needs. A one-shot search reads the header, the keys and stamps (for the
 * stat-walk reconcile) and the field lengths, then per query term a few bytes of the term
 * dictionary and its postings, and per result one manifest entry; nothing else is parsed.
 *
 * Layout: "MYCIDX03", u32 header length, header JSON, then sections at the offsets the header names:
 * - keys: JSON array of the memory keys, document number = position;
 * - stamps: float64 [mtimeMs, size] per document (what the reconcile compares with a stat);
 * - entryOffsets: u32 per document + 1; entries: each document's FileEntry JSON minus its stamp;
 * - lengths: u32 per field per document (field-major);
 * - dict: the sorted terms joined by "\n", in blocks of DICT_BLOCK terms whose first terms and byte
 *   offsets are in the header (a lookup decodes one block);
 * - postingOffsets: u32 per (term, field) + 1, term-major; postings: per (term, field) the
 *   documents as varint deltas, each followed by its varint term frequency;
 * - folders (optional): what the stat walk saw of each folder (folder-listings.ts).
 */
const MAGIC = 'MYCIDX03';
const DICT_BLOCK = 64;
/** Key lookups answered by a scan before the reader builds a key -> document map. */
const SCANS_BEFORE_MAP = 64;
const NF = FIELDS.length;

interface Header {
  format: number;
  chunking: string;
  docs: number;
  terms: number;
  totals: number[];
  /** [first term, byte offset in dict] per block. */
  blocks: [string, number][];
  /** `folders` is absent in files written before it (and when no listing was known). */
  sections: Record<Exclude<SectionName, 'folders'>, [number, number]> & { folders?: [number, number] };
}
type SectionName = 'keys' | 'stamps' | 'entryOffsets' | 'entries' | 'lengths' | 'dict' | 'postingOffsets' | 'postings' | 'folders';

/** Encodes a manifest and BM25 index (which must describe the same documents) as one file. */
export function encodeIndexFile(
  format: number,
  chunking: string,
  files: Map<string, FileEntry>,
  bm25: Bm25Index,
  folders?: ReadonlyMap<string, FolderListing>,
): Buffer {
  const parts = bm25.parts();
  const n = parts.keys.length;
  const stamps = new Float64Array(2 * n);
  const entryChunks: Buffer[] = [];
  const entryOffsets = new Uint32Array(n + 1);
  let at = 0;
  parts.keys.forEach((key, doc) => {
    const { mtimeMs, size, ...rest } = files.get(key)!;
    stamps[2 * doc] = mtimeMs;
    stamps[2 * doc + 1] = size;
    const bytes = Buffer.from(JSON.stringify(rest));
    entryChunks.push(bytes);
    entryOffsets[doc] = at;
    at += bytes.length;
  });
  entryOffsets[n] = at;
  const lengths = new Uint32Array(NF * n);
  parts.lengths.forEach((l, f) => {
    for (let doc = 0; doc < n; doc++) lengths[f * n + doc] = l[doc] ?? 0;
  });

  const all = new Set<string>();
  for (const m of parts.postings) for (const term of m.keys()) all.add(term);
  const terms = [...all].sort(byCodeUnit);
  const blocks: [string, number][] = [];
  const dictParts: string[] = [];
  let dictBytes = 0;
  terms.forEach((term, t) => {
    if (t % DICT_BLOCK === 0) blocks.push([term, dictBytes]);
    const line = t % DICT_BLOCK === DICT_BLOCK - 1 || t === terms.length - 1 ? term : term + '\n';
    dictParts.push(line);
    dictBytes += Buffer.byteLength(line);
  });
  const postingOffsets = new Uint32Array(terms.length * NF + 1);
  const out = new VarintWriter();
  terms.forEach((term, t) => {
    for (let f = 0; f < NF; f++) {
      postingOffsets[t * NF + f] = out.length;
      const list = parts.postings[f].get(term);
      if (!list) continue;
      let previous = 0;
      for (let i = 0; i < list.length; i += 2) {
        out.write(list[i] - previous);
        out.write(list[i + 1]);
        previous = list[i];
      }
    }
  });
  postingOffsets[terms.length * NF] = out.length;

  const sections: [SectionName, Buffer][] = [
    ['keys', Buffer.from(JSON.stringify(parts.keys))],
    ['stamps', Buffer.from(stamps.buffer)],
    ['entryOffsets', Buffer.from(entryOffsets.buffer)],
    ['entries', Buffer.concat(entryChunks)],
    ['lengths', Buffer.from(lengths.buffer)],
    ['dict', Buffer.from(dictParts.join(''))],
    ['postingOffsets', Buffer.from(postingOffsets.buffer)],
    ['postings', out.finish()],
  ];
  if (folders && folders.size > 0) sections.push(['folders', encodeFolderListings(folders, parts.keys)]);
  const totals = parts.lengths.map((l) => l.reduce((sum, v) => sum + (v ?? 0), 0));
  // Offsets are relative to the end of the header, so the header can name them before its own length is known.
  const placed = {} as Header['sections'];
  let offset = 0;
  for (const [name, bytes] of sections) {
    offset = align8(offset);
    placed[name] = [offset, bytes.length];
    offset += bytes.length;
  }
  const header = Buffer.from(JSON.stringify({ format, chunking, docs: n, terms: terms.length, totals, blocks, sections: placed } satisfies Header));
  const start = align8(MAGIC.length + 4 + header.length);
  const file = Buffer.alloc(start + offset);
  file.write(MAGIC, 0, 'latin1');
  file.writeUInt32LE(header.length, MAGIC.length);
  header.copy(file, MAGIC.length + 4);
  for (const [name, bytes] of sections) bytes.copy(file, start + placed[name]![0]);
  return file;
}

/** Thrown when the file is not an index of this layout or is cut short. */
export class BadIndexFileError extends Error {}

/**
 * An open index file, read on demand. It holds a file descriptor: the snapshot stays consistent
 * even when another process renames a new index over it. Call `close()` when done.
 */
export class IndexFileReader implements PostingSource {
  readonly format: number;
  readonly chunking: string;
  readonly size: number;
  readonly keys: string[];
  /** [mtimeMs, size] per document. */
  readonly stamps: Float64Array;
  private readonly header: Header;
  private readonly base: number;
  private readonly lengths: Uint32Array;
  private readonly entries = new Map<number, FileEntry>();
  private docsByKey: Map<string, number> | null = null;
  private scans = 0;
  private folders: ((prefix: string) => FolderListing | undefined) | null = null;
  private readonly dictCache = new Map<number, string[]>();
  private fd: number | null;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
    try {
      const fileSize = fstatSync(this.fd).size;
      const head = this.read(0, MAGIC.length + 4);
      if (head.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new BadIndexFileError('not an index file of this version');
      const headerLength = head.readUInt32LE(MAGIC.length);
      if (MAGIC.length + 4 + headerLength > fileSize) throw new BadIndexFileError('cut short');
      this.header = JSON.parse(this.read(MAGIC.length + 4, headerLength).toString('utf8')) as Header;
      this.base = align8(MAGIC.length + 4 + headerLength);
      for (const [offset, length] of Object.values(this.header.sections ?? {})) {
        if (this.base + offset + length > fileSize) throw new BadIndexFileError('cut short');
      }
      this.format = this.header.format;
      this.chunking = this.header.chunking;
      this.size = this.header.docs;
      this.keys = JSON.parse(this.section('keys').toString('utf8')) as string[];
      this.stamps = new Float64Array(typed(this.section('stamps')));
      this.lengths = new Uint32Array(typed(this.section('lengths')));
      if (this.keys.length !== this.size || this.stamps.length !== 2 * this.size || this.lengths.length !== NF * this.size) {
        throw new BadIndexFileError('sections disagree');
      }
    } catch (err) {
      this.close();
      if (err instanceof SyntaxError) throw new BadIndexFileError(`unreadable (${err.message})`);
      throw err;
    }
  }

  get slots(): number {
    return this.size;
  }
  keyOf(doc: number): string | null {
    return this.keys[doc];
  }
  fieldTotal(f: number): number {
    return this.header.totals[f];
  }
  fieldLengths(f: number): ArrayLike<number> {
    return this.lengths.subarray(f * this.size, (f + 1) * this.size);
  }

  /**
   * The document of a key. The first few lookups scan the keys (a one-shot search asks only for its
   * results' entries: a scan of 38k keys is ~0.1 ms, a map of them ~12 ms); after that, a map.
   */
  /** What the walk that wrote this file saw of a folder (by key prefix), if it was written with it. */
  folder(prefix: string): FolderListing | undefined {
    if (this.folders === null) {
      this.folders = () => undefined;
      if (this.header.sections.folders) {
        try {
          this.folders = decodeFolderListings(this.section('folders'), this.keys);
        } catch {
          // an unreadable listing costs only speed: every folder is read
        }
      }
    }
    return this.folders(prefix);
  }

  docOf(key: string): number | undefined {
    if (!this.docsByKey && this.scans < SCANS_BEFORE_MAP) {
      this.scans++;
      const doc = this.keys.indexOf(key);
      return doc < 0 ? undefined : doc;
    }
    this.docsByKey ??= new Map(this.keys.map((k, doc) => [k, doc]));
    return this.docsByKey.get(key);
  }

  /** The manifest entry of a document, read from the file on first use. */
  entry(doc: number): FileEntry {
    let entry = this.entries.get(doc);
    if (!entry) {
      const [from, to] = this.u32s('entryOffsets', doc, 2);
      const [offset] = this.header.sections.entries;
      const rest = JSON.parse(this.read(this.base + offset + from, to - from).toString('utf8')) as Omit<FileEntry, 'mtimeMs' | 'size'>;
      entry = { mtimeMs: this.stamps[2 * doc], size: this.stamps[2 * doc + 1], ...rest };
      this.entries.set(doc, entry);
    }
    return entry;
  }

  postingsOf(f: number, term: string): ArrayLike<number> | undefined {
    const t = this.termNumber(term);
    if (t < 0) return undefined;
    const [from, to] = this.u32s('postingOffsets', t * NF + f, 2);
    if (from === to) return undefined;
    return decodePostings(this.read(this.base + this.header.sections.postings[0] + from, to - from));
  }

  hasTerm(term: string): boolean {
    return this.termNumber(term) >= 0;
  }

  termsStartingWith(prefixes: string[], max: number): Set<string> {
    const found = new Set<string>();
    for (const prefix of prefixes) {
      for (let b = Math.max(0, this.blockOf(prefix)); b < this.header.blocks.length && found.size < max; b++) {
        if (this.header.blocks[b][0] > prefix && !this.header.blocks[b][0].startsWith(prefix)) break;
        for (const term of this.block(b)) if (term.startsWith(prefix) && found.size < max) found.add(term);
      }
    }
    return found;
  }

  /** Decodes everything into an in-memory manifest and BM25 index (to change it). */
  materialize(): { files: Map<string, FileEntry>; bm25: Bm25Index } {
    const files = new Map<string, FileEntry>();
    this.keys.forEach((key, doc) => files.set(key, this.entry(doc)));
    const lengths = FIELDS.map((_, f) => Array.from(this.fieldLengths(f)));
    const postings: Map<string, number[]>[] = FIELDS.map(() => new Map());
    const offsets = new Uint32Array(typed(this.section('postingOffsets')));
    const stream = this.section('postings');
    // Blocks are not separated by a newline (each block is split on its own), so read them block by block.
    const terms = this.header.blocks.flatMap((_, b) => this.block(b));
    terms.forEach((term, t) => {
      for (let f = 0; f < NF; f++) {
        const from = offsets[t * NF + f];
        const to = offsets[t * NF + f + 1];
        if (from !== to) postings[f].set(term, decodePostings(stream.subarray(from, to)));
      }
    });
    this.entries.clear();
    const parts: Bm25Parts = { keys: this.keys, lengths, postings };
    return { files, bm25: Bm25Index.fromParts(parts) };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** The term's number, or -1: a binary search of the block heads, then one block. */
  private termNumber(term: string): number {
    const b = this.blockOf(term);
    if (b < 0) return -1;
    const i = this.block(b).indexOf(term);
    return i < 0 ? -1 : b * DICT_BLOCK + i;
  }

  /** The last block whose first term is <= term; -1 when term sorts before every block. */
  private blockOf(term: string): number {
    const blocks = this.header.blocks;
    let lo = 0;
    let hi = blocks.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (blocks[mid][0] <= term) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private block(b: number): string[] {
    let terms = this.dictCache.get(b);
    if (!terms) {
      const [offset, length] = this.header.sections.dict;
      const from = this.header.blocks[b][1];
      const to = b + 1 < this.header.blocks.length ? this.header.blocks[b + 1][1] : length;
      terms = this.read(this.base + offset + from, to - from).toString('utf8').split('\n');
      this.dictCache.set(b, terms);
    }
    return terms;
  }

  private u32s(name: SectionName, index: number, count: number): Uint32Array {
    return new Uint32Array(typed(this.read(this.base + this.header.sections[name]![0] + 4 * index, 4 * count)));
  }

  private section(name: SectionName): Buffer {
    const [offset, length] = this.header.sections[name]!;
    return this.read(this.base + offset, length);
  }

  private read(position: number, length: number): Buffer {
    if (this.fd === null) throw new BadIndexFileError('closed');
    const buffer = Buffer.alloc(length); // never pooled: offset 0, so typed arrays can view it
    let done = 0;
    while (done < length) {
      const got = readSync(this.fd, buffer, done, length - done, position + done);
      if (got === 0) throw new BadIndexFileError('cut short');
      done += got;
    }
    return buffer;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** The ArrayBuffer behind a Buffer read by `read` (offset 0, its own memory). */
function typed(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length) as ArrayBuffer;
}

function decodePostings(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let doc = 0;
  let i = 0;
  while (i < bytes.length) {
    let delta = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[i++];
      delta += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    doc += delta;
    let tf = 0;
    shift = 0;
    do {
      byte = bytes[i++];
      tf += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    out.push(doc, tf);
  }
  return out;
}

class VarintWriter {
  private buffer = Buffer.alloc(1 << 16);
  length = 0;

  write(value: number): void {
    if (this.length + 10 > this.buffer.length) {
      const bigger = Buffer.alloc(this.buffer.length * 2);
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    while (value >= 0x80) {
      this.buffer[this.length++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buffer[this.length++] = value;
  }

  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
