import type { FolderListing } from '../room-scan.js';

/**
 * The `folders` section of the index file: what the last stat walk saw of each folder of the room
 * (see `FolderListing` in room-scan.ts), so a one-shot search reads no folder whose mtime is
 * unchanged and only stats its files. JSON: `[[prefix, mtimeMs, ino, entries], …]`, where an entry
 * is a document number (that document's key) or a subfolder's prefix (a string ending in `/`).
 */
type Encoded = [string, number, number, (number | string)[]][];

/** Encodes the listings whose keys are all documents of the index; a listing naming any other key is left out (the next walk reads that folder). */
export function encodeFolderListings(folders: ReadonlyMap<string, FolderListing>, keys: readonly (string | null)[]): Buffer {
  const docs = new Map<string, number>();
  keys.forEach((key, doc) => key !== null && docs.set(key, doc));
  const out: Encoded = [];
  for (const [prefix, listing] of folders) {
    const entries: (number | string)[] = [];
    for (const entry of listing.entries) {
      const n = entry.endsWith('/') ? entry : docs.get(entry);
      if (n === undefined) break;
      entries.push(n);
    }
    // Left out as a whole when a key is missing: the next walk reads that folder.
    if (entries.length === listing.entries.length) out.push([prefix, listing.mtimeMs, listing.ino, entries]);
  }
  return Buffer.from(JSON.stringify(out));
}

/** The listings of an index file's `folders` section, by prefix, decoded when asked for. */
export function decodeFolderListings(bytes: Buffer, keys: readonly string[]): (prefix: string) => FolderListing | undefined {
  const encoded = JSON.parse(bytes.toString('utf8')) as Encoded;
  if (!Array.isArray(encoded)) throw new SyntaxError('folders is not a list');
  const byPrefix = new Map(encoded.map((row, i) => [row[0], i]));
  return (prefix) => {
    const row = encoded[byPrefix.get(prefix) ?? -1];
    if (!row) return undefined;
    const entries: string[] = [];
    for (const n of row[3]) {
      const entry = typeof n === 'number' ? keys[n] : typeof n === 'string' && n.endsWith('/') ? n : undefined;
      // Not a listing of this index (an entry outside the folder, a bad number): read the folder.
      if (entry === undefined || !entry.startsWith(prefix) || !directlyIn(prefix, entry)) return undefined;
      entries.push(entry);
    }
    return { mtimeMs: row[1], ino: row[2], entries };
  };
}

/** Whether a key or a subfolder prefix (ending in `/`) sits directly in the folder `prefix`. */
function directlyIn(prefix: string, entry: string): boolean {
  const slash = entry.indexOf('/', prefix.length);
  return entry.length > prefix.length && (slash === -1 || slash === entry.length - 1);
}
