import type { Room } from '../../room.js';
import { changedSince, type ChangedMemory } from './select.js';
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
}

/** What an agent joining late reads: the newest synthesis and what changed after it. */
export async function catchup(room: Room, options: { limit?: number } = {}): Promise<Catchup> {
  const synthesis = (await latestSynthesis(room)) ?? null;
  const changed = await changedSince(room, synthesis?.until);
  const limit = options.limit ?? DEFAULT_CATCHUP_LIMIT;
  return {
    room: room.name,
    synthesis,
    changes: changed.slice(0, limit).map(({ text: _text, ...rest }) => rest),
    count: changed.length,
    contributors: [...new Set(changed.map((c) => c.by))].sort(),
  };
}
