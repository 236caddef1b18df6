/**
 * The vector store: one Float32Array row per chunk, keyed by the chunk's content hash, so a renamed
 * memory or an unchanged chunk is never embedded twice. Persisted as one binary file:
 *
 *   "MYCV" | u32 format | u32 dimension | u32 count | u32 fingerprint bytes | fingerprint (utf8)
 *   | zero padding to 4 bytes | count x 16-byte hash | count x dimension float32 (little endian)
 */
const MAGIC = 'MYCV';
const FORMAT = 1;
const HASH_BYTES = 16;

export class CorruptVectorsError extends Error {}

export class VectorStore {
  private data: Float32Array;
  private readonly rows = new Map<string, number>();
  private hashes: string[] = [];
  private scratch = new Float32Array(0);

  constructor(
    readonly dimension: number,
    readonly fingerprint: string,
    capacity = 1024,
  ) {
    this.data = new Float32Array(Math.max(1, capacity) * dimension);
  }

  get count(): number {
    return this.hashes.length;
  }

  has(hash: string): boolean {
    return this.rows.has(hash);
  }

  /** The vector of a chunk (a view into the store; do not keep it across writes). */
  get(hash: string): Float32Array | undefined {
    const row = this.rows.get(hash);
    return row === undefined ? undefined : this.data.subarray(row * this.dimension, (row + 1) * this.dimension);
  }

  set(hash: string, vector: ArrayLike<number>): void {
    if (vector.length !== this.dimension) throw new Error(`vector has ${vector.length} dimensions, the store ${this.dimension}`);
    let row = this.rows.get(hash);
    if (row === undefined) {
      row = this.hashes.length;
      if ((row + 1) * this.dimension > this.data.length) {
        const grown = new Float32Array(this.data.length * 2);
        grown.set(this.data);
        this.data = grown;
      }
      this.rows.set(hash, row);
      this.hashes.push(hash);
    }
    this.data.set(vector, row * this.dimension);
  }

  /** Dot product of `query` with every row (cosine, as vectors are normalised), indexed by row; valid until the next call. */
  scoreAll(query: Float32Array): Float32Array {
    const dim = this.dimension;
    const count = this.hashes.length;
    // One buffer reused across searches: no 400 kB allocation (and later GC) per query at 100k rows.
    if (this.scratch.length < count) this.scratch = new Float32Array(Math.max(count, this.scratch.length * 2));
    const scores = this.scratch.subarray(0, count);
    const data = this.data;
    const tail = dim - (dim % 4);
    for (let row = 0, offset = 0; row < count; row++, offset += dim) {
      // Four running sums: fewer dependent additions, about twice as fast as the plain loop.
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let i = 0;
      for (; i < tail; i += 4) {
        s0 += data[offset + i] * query[i];
        s1 += data[offset + i + 1] * query[i + 1];
        s2 += data[offset + i + 2] * query[i + 2];
        s3 += data[offset + i + 3] * query[i + 3];
      }
      for (; i < dim; i++) s0 += data[offset + i] * query[i];
      scores[row] = s0 + s1 + s2 + s3;
    }
    return scores;
  }

  rowOf(hash: string): number | undefined {
    return this.rows.get(hash);
  }

  /** The binary file, keeping only the rows `keep` accepts (drops vectors nothing refers to). */
  serialize(keep: (hash: string) => boolean = () => true): Buffer {
    const kept = this.hashes.filter(keep);
    const fingerprint = Buffer.from(this.fingerprint, 'utf8');
    const headerBytes = align4(20 + fingerprint.length);
    const out = Buffer.alloc(headerBytes + kept.length * HASH_BYTES + kept.length * this.dimension * 4);
    out.write(MAGIC, 0, 'latin1');
    out.writeUInt32LE(FORMAT, 4);
    out.writeUInt32LE(this.dimension, 8);
    out.writeUInt32LE(kept.length, 12);
    out.writeUInt32LE(fingerprint.length, 16);
    fingerprint.copy(out, 20);
    let offset = headerBytes;
    for (const hash of kept) offset += out.write(hash, offset, HASH_BYTES, 'hex');
    const floats = new Float32Array(out.buffer, out.byteOffset + offset, kept.length * this.dimension);
    kept.forEach((hash, i) => floats.set(this.get(hash)!, i * this.dimension));
    return out;
  }

  /** Reads a file written by `serialize`; a truncated or foreign file throws CorruptVectorsError. */
  static parse(buffer: Buffer): VectorStore {
    const fail = (why: string): never => {
      throw new CorruptVectorsError(why);
    };
    if (buffer.length < 20 || buffer.toString('latin1', 0, 4) !== MAGIC) fail('not a vector file');
    if (buffer.readUInt32LE(4) !== FORMAT) fail(`unknown vector file format ${buffer.readUInt32LE(4)}`);
    const dimension = buffer.readUInt32LE(8);
    const count = buffer.readUInt32LE(12);
    const fingerprintBytes = buffer.readUInt32LE(16);
    const headerBytes = align4(20 + fingerprintBytes);
    const expected = headerBytes + count * HASH_BYTES + count * dimension * 4;
    if (dimension === 0 || buffer.length !== expected) fail(`vector file is ${buffer.length} bytes, expected ${expected}`);
    const store = new VectorStore(dimension, buffer.toString('utf8', 20, 20 + fingerprintBytes), count);
    let offset = headerBytes;
    const floatsAt = headerBytes + count * HASH_BYTES;
    // Copy into an aligned array: the file buffer's offset may not be a multiple of 4.
    const floats = new Float32Array(buffer.buffer.slice(buffer.byteOffset + floatsAt, buffer.byteOffset + expected));
    for (let row = 0; row < count; row++, offset += HASH_BYTES) {
      store.set(buffer.toString('hex', offset, offset + HASH_BYTES), floats.subarray(row * dimension, (row + 1) * dimension));
    }
    return store;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
