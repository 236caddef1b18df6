import { isUtf8 } from 'node:buffer';

/**
 * One change in a room's HTTP change feed, as the server sends it and sync clients read it. A delete
 * is a tombstone (`hash: null`). `hash` is the sha256 of the file's bytes as they are when the feed
 * is read (contentHash), so a client can tell a change it already has. With `?content=1` an entry
 * carries that file, or null when it is gone since (a later tombstone says so): see fileFields for
 * how its bytes travel. `cursor` is opaque: pass the last one back.
 */
export interface FeedEntry {
  cursor: string;
  type: 'created' | 'updated' | 'deleted';
  room: string;
  key: string;
  hash: string | null;
  version: number;
  by: string | null;
  at: string;
  /** The file as text, when its bytes are UTF-8 (then this string is exactly those bytes). */
  content?: string | null;
  /** The file's bytes in base64, when they are not UTF-8 (asked for with `encoding=base64`). */
  content_base64?: string;
}

export interface FeedPage {
  changes: FeedEntry[];
  /** The cursor to pass next time. */
  cursor: string;
  /** True when more changes wait after this page. */
  more: boolean;
}

/**
 * How a file's bytes travel in a feed entry, the one rule for server and client: bytes that are
 * UTF-8 go as the `content` string (JSON carries them exactly, BOM and CRLF included); other bytes go
 * as `content_base64` to a client that asked for it. A client that did not ask (older than this rule)
 * gets `content: null` for them, which it reads as "gone since" and skips: it never stores, and never
 * pushes back, a decoded copy that is not the file.
 */
export function fileFields(bytes: Uint8Array | undefined, base64: boolean): Pick<FeedEntry, 'content' | 'content_base64'> {
  if (bytes === undefined) return { content: null };
  if (isUtf8(bytes)) return { content: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') };
  return base64 ? { content_base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') } : { content: null };
}

/** The bytes a feed entry carries (fileFields read back); undefined when it carries none. */
export function fileBytes(entry: FeedEntry): Buffer | undefined {
  if (typeof entry.content_base64 === 'string') return Buffer.from(entry.content_base64, 'base64');
  if (typeof entry.content === 'string') return Buffer.from(entry.content, 'utf8');
  return undefined;
}
