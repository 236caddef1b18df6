/**
 * One change in a room's HTTP change feed, as the server sends it and sync clients read it. A delete
 * is a tombstone (`hash: null`). `hash` is the sha256 of the file as it is when the feed is read, so
 * a client can tell a change it already has; `content` (with `?content=1`) is that file, or null when
 * it is gone since (a later tombstone says so). `cursor` is opaque: pass the last one back.
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
  content?: string | null;
}

export interface FeedPage {
  changes: FeedEntry[];
  /** The cursor to pass next time. */
  cursor: string;
  /** True when more changes wait after this page. */
  more: boolean;
}
