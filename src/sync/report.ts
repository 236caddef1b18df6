/** What one sync of one room did: the shape `mycelium sync --json` prints for each room. */
export interface SyncReport {
  room: string;
  via: 'git' | 'http';
  /** The remote: a git URL or path, or a mycelium server URL (never a token). */
  remote: string;
  /** Keys committed (git) or found changed (HTTP) locally before talking to the remote. */
  committed: string[];
  /** What came in from the remote. */
  incoming: KeyChange[];
  /** What went out to the remote. */
  outgoing: KeyChange[];
  /** Memories edited on both sides: the remote version stays at `key`, the local one at `conflict_key`. */
  conflicts: ConflictRecord[];
}

export interface KeyChange {
  type: 'created' | 'updated' | 'deleted';
  key: string;
}

export interface ConflictRecord {
  key: string;
  conflict_key: string;
}

/** Maps `git diff --name-status` letters to change types. */
export function changeType(status: string): KeyChange['type'] {
  if (status.startsWith('A')) return 'created';
  if (status.startsWith('D')) return 'deleted';
  return 'updated';
}
