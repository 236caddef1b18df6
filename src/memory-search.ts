import { UnavailableError } from './errors.js';

/**
 * The one place the agent faces (MCP server, doctor) reach search through, so that switching to
 * the search library, and later to a running daemon, changes this file only.
 */

export interface SearchRequest {
  query: string;
  limit?: number;
  mode?: string;
}

/** Searches a room; the result has the same shape as `mycelium memory search --json`. */
export async function searchMemories(_home: string, _room: string, _request: SearchRequest): Promise<unknown> {
  throw new UnavailableError('search is not available in this build');
}

/** Whether this build can search at all (no index is built or loaded to answer). */
export function searchAvailable(): boolean {
  return false;
}
