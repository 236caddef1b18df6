import type { Room } from '../../room.js';
import { changedSince, deletedSince, type ChangedMemory } from './select.js';
import { latestSynthesis, type SynthesisInfo } from './synthesize.js';

export const DEFAULT_CATCHUP_LIMIT = 20;

export interface Catchup {
  room: string;
  /** The newest synthesis, or null before the first. */
  synthesis: SynthesisInfo | null;
  /** Memories changed after it (all, before the first), newest first, at most `limit`. */
  changes: Omit<ChangedMemory, 'text'>[];
  /** How many changed after it in all (may be more than `changes` holds). */
  count: number;
  /** Everyone who wrote those changes, sorted. */
  contributors: string[];
  /**
   * Keys the room held at the newest synthesis and holds no more, sorted, at most `limit`; null
   * when that is not known (no synthesis yet, or one made before syntheses kept a key list).
   * A memory created and deleted since the synthesis is in neither list.
   */
  deleted: string[] | null;
  /** How many were deleted in all. */
  deleted_count: number;
}

/** What an agent joining late reads: the newest synthesis, what changed after it, and what went away. */
export async function catchup(room: Room, options: { limit?: number } = {}): Promise<Catchup> {
  const synthesis = (await latestSynthesis(room)) ?? null;
  const changed = await changedSince(room, synthesis?.until);
  const limit = options.limit ?? DEFAULT_CATCHUP_LIMIT;
  const deleted = synthesis ? await deletedSince(room, synthesis.key) : null;
  return {
    room: room.name,
    synthesis,
    changes: changed.slice(0, limit).map(({ text: _text, ...rest }) => rest),
    count: changed.length,
    contributors: [...new Set(changed.map((c) => c.by))].sort(),
    deleted: deleted ? deleted.slice(0, limit) : null,
    deleted_count: deleted?.length ?? 0,
  };
}
