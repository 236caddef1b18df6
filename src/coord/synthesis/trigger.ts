import { InvalidInputError, MemoryNotFoundError } from '../../errors.js';
import type { Room } from '../../room.js';
import type { LlmProvider } from '../llm.js';
import { candidatesSince, changedSince } from './select.js';
import { latestSynthesis, synthesize, type SynthesisResult } from './synthesize.js';
import { TRIGGER_KEY } from './trigger-key.js';
import { forgetWritesCounted, setWritesCounted, writesCounted } from './write-counter.js';

export { TRIGGER_KEY };

/** Synthesize when this many memories have changed since the last synthesis. */
export interface Trigger {
  threshold: number;
}

/** Parses `threshold:N` (N a whole number of at least 1). */
export function parseTriggerSpec(spec: string): Trigger {
  const match = /^threshold:(\d+)$/.exec(spec.trim());
  const threshold = match ? Number(match[1]) : 0;
  if (!match || threshold < 1 || !Number.isSafeInteger(threshold)) {
    throw new InvalidInputError(`invalid trigger '${spec}'; use threshold:N, e.g. threshold:5 (synthesize after 5 changed memories)`);
  }
  return { threshold };
}

export function formatTrigger(trigger: Trigger): string {
  return `threshold:${trigger.threshold}`;
}

/** The room's trigger, or undefined. A hand-broken trigger file is an InvalidInputError naming it. */
export async function readTrigger(room: Room): Promise<Trigger | undefined> {
  let value: unknown;
  try {
    value = (await room.get(TRIGGER_KEY)).value;
  } catch (err) {
    if (err instanceof MemoryNotFoundError) return undefined;
    throw err;
  }
  const threshold = (value as { threshold?: unknown } | null)?.threshold;
  if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold < 1) {
    throw new InvalidInputError(
      `${room.pathOf(TRIGGER_KEY)} is not a trigger; set it again with \`mycelium room trigger set threshold:N\` or clear it`,
    );
  }
  return { threshold };
}

export async function setTrigger(room: Room, trigger: Trigger, handle: string): Promise<void> {
  await room.set(TRIGGER_KEY, { threshold: trigger.threshold }, { handle, format: 'json' });
  forgetWritesCounted(room.home, room.name);
}

/** Removes the trigger; false when there was none. */
export async function clearTrigger(room: Room, handle: string): Promise<boolean> {
  try {
    await room.remove(TRIGGER_KEY, handle);
    forgetWritesCounted(room.home, room.name);
    return true;
  } catch (err) {
    if (err instanceof MemoryNotFoundError) return false;
    throw err;
  }
}

/**
 * How many input memories changed since the last synthesis. `known`: the room's files as a watcher
 * last saw them (key → file time); then only those that may have changed since are read, instead
 * of a stat of every file.
 */
export async function pendingChanges(room: Room, known?: ReadonlyMap<string, { mtimeMs: number }>): Promise<number> {
  const previous = await latestSynthesis(room);
  return (await changedSince(room, previous?.until, undefined, known ? candidatesSince(known, previous?.until) : undefined)).length;
}

export interface TriggerRun {
  trigger?: Trigger;
  pending: number;
  /** True when the answer is the write counter's (below the threshold; the room was not walked). */
  counted?: boolean;
  /** Set when a synthesis was written. */
  synthesis?: SynthesisResult;
}

/**
 * Runs the room's trigger: synthesizes when its threshold is reached, otherwise does nothing.
 * With `counted` (a check started by a write where no daemon runs), the write counter is read first
 * and the room is walked only when it reaches the threshold; the walk then sets the counter to the
 * real count (0 after a synthesis). One synthesis at a time: `synthesize` takes the room's lock and
 * counts again under it.
 */
export async function runTriggerIfDue(
  room: Room,
  options: { handle: string; llm?: LlmProvider; counted?: boolean; known?: ReadonlyMap<string, { mtimeMs: number }> },
): Promise<TriggerRun> {
  const trigger = await readTrigger(room);
  if (!trigger) return { pending: 0 };
  if (options.counted) {
    const counted = writesCounted(room.home, room.name);
    if (counted !== undefined && counted < trigger.threshold) return { trigger, pending: counted, counted: true };
  }
  const pending = await pendingChanges(room, options.known);
  if (pending < trigger.threshold) {
    if (options.counted) await setWritesCounted(room.home, room.name, pending);
    return { trigger, pending };
  }
  const result = await synthesize(room, { handle: options.handle, llm: options.llm, minChanges: trigger.threshold });
  if (options.counted) await setWritesCounted(room.home, room.name, result.written ? 0 : result.memory_count);
  return { trigger, pending: result.memory_count, synthesis: result.written ? result : undefined };
}
