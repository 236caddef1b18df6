/** A change to a memory as subscribers, the change feed and the index see it. */
export interface ChangeEvent {
  type: 'created' | 'updated' | 'deleted' | 'renamed';
  room: string;
  key: string;
  /** The old key of a rename. */
  from?: string;
  /** The memory's version after the change (for a delete: the last version seen). */
  version: number;
  /** Who made it: the file's `updated_by` when mycelium wrote it, null for hand edits and deletes. */
  by: string | null;
  /** When it happened: the file's mtime, or the time a delete was seen. ISO-8601 UTC. */
  at: string;
  /** Position in the home's event log; replay with `since` = the last cursor you saw. Null when not logged. */
  cursor: number | null;
}

/** An event as stored in the log: it always has its cursor. */
export type LoggedEvent = ChangeEvent & { cursor: number };
