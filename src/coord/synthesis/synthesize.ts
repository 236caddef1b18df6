import { LlmFailedError, LlmNotConfiguredError, MemoryNotFoundError, ValueTooLargeError } from '../../errors.js';
import { withLock } from '../../lock.js';
import type { Memory, Room } from '../../room.js';
import type { LlmProvider } from '../llm.js';
import { renderDigest } from './digest.js';
import { LLM_SECTIONS, synthesisPrompt } from './prompt.js';
import { POINTER_KEY, changedSince, deletedSince, inputKeys, isSynthesisKey, synthesisKeyFor, synthesisKeyListFor } from './select.js';

export type SynthesisMethod = 'digest' | 'llm';

/** The newest synthesis of a room, as its frontmatter tells. */
export interface SynthesisInfo {
  key: string;
  /** The changes it covers are those after `since` (null: from the start) up to `until`. */
  since: string | null;
  until: string;
  memory_count: number;
  method: SynthesisMethod;
  by: string | null;
  /** The provider that wrote an 'llm' synthesis. */
  provider: string | null;
  text: string;
}

export interface SynthesizeOptions {
  handle: string;
  /** The LLM, when one is configured (see llmProvider). */
  llm?: LlmProvider;
  /** true: ask the LLM (an error when none is configured); false: the digest; default: the LLM when configured. */
  useLlm?: boolean;
  /** Write only if at least this many memories changed since the last synthesis (threshold triggers). */
  minChanges?: number;
  /** The clock (tests). */
  now?: () => Date;
  /** Told each step as it starts (a web page shows them while a slow LLM answers). */
  onProgress?: (step: SynthesisStep) => void;
}

/** The steps of one synthesis, in order (`llm` only when an LLM is asked). */
export type SynthesisStep =
  | { phase: 'waiting' }
  | { phase: 'reading' }
  | { phase: 'llm'; provider: string; memories: number }
  | { phase: 'writing'; memories: number; method: SynthesisMethod };

export interface SynthesisResult {
  /** False when `minChanges` was not reached (nothing written). */
  written: boolean;
  key?: string;
  memory_count: number;
  since: string | null;
  until: string;
  method?: SynthesisMethod;
  /** Why the LLM answer was replaced by the digest. */
  fallback?: string;
}

/**
 * File times come from the kernel's coarse clock (a few ms behind `Date.now()`). Reading starts
 * only once the clock is this far past `until`, so every change made after the read began is
 * stamped after `until` and counts for the next synthesis, and none is counted twice.
 */
const CLOCK_MARGIN_MS = 25;

/** The largest key list kept beside a synthesis (about 150,000 keys). */
const KEY_LIST_MAX_BYTES = 8 * 1024 * 1024;

async function clockPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((resolve) => setTimeout(resolve, Math.max(1, ms - Date.now() + 1)));
}

/** The room's newest synthesis (by key: the keys are timestamps), or undefined before the first. */
export async function latestSynthesis(room: Room): Promise<SynthesisInfo | undefined> {
  // Only the synthesis folder is listed: the room may hold many thousands of other files.
  const keys = (await room.keys([], 'synthesis')).filter(isSynthesisKey);
  for (const key of keys.reverse()) {
    const memory = await room.get(key).catch((err) => {
      if (err instanceof MemoryNotFoundError) return undefined;
      throw err;
    });
    if (memory) return synthesisInfo(memory);
  }
  return undefined;
}

function synthesisInfo(memory: Memory): SynthesisInfo {
  const { extra } = memory;
  const stamp = memory.key.slice('synthesis/'.length).replace(/T(\d{2})-(\d{2})-(\d{2})/, 'T$1:$2:$3');
  return {
    key: memory.key,
    since: typeof extra.since === 'string' ? extra.since : null,
    until: typeof extra.until === 'string' ? extra.until : stamp,
    memory_count: typeof extra.memory_count === 'number' ? extra.memory_count : 0,
    method: extra.method === 'llm' ? 'llm' : 'digest',
    by: typeof extra.by === 'string' ? extra.by : memory.created_by,
    provider: typeof extra.provider === 'string' ? extra.provider : null,
    text: String(memory.value),
  };
}

/**
 * Writes `synthesis/<UTC timestamp>` from the memories changed since the previous synthesis and
 * points `context/synthesis` at it. One synthesis at a time per room (a cross-process lock); the
 * count is taken again under the lock, so two triggers that race write one synthesis, not two.
 * An LLM failure or timeout falls back to the digest and says so in the text and `fallback`.
 */
export async function synthesize(room: Room, options: SynthesizeOptions): Promise<SynthesisResult> {
  const useLlm = options.useLlm ?? options.llm !== undefined;
  if (useLlm && !options.llm) {
    throw new LlmNotConfiguredError('no LLM configured; add `[llm] command = "..."` (or provider = "local") to config.toml, or run without --llm');
  }
  const now = options.now ?? (() => new Date());
  const progress = options.onProgress ?? (() => {});
  progress({ phase: 'waiting' });
  return withLock(room.home, `synthesis:${room.name}`, async () => {
    progress({ phase: 'reading' });
    const until = now().toISOString();
    if (!options.now) await clockPast(Date.parse(until) + CLOCK_MARGIN_MS);
    const previous = await latestSynthesis(room);
    const since = previous?.until ?? null;
    const items = await changedSince(room, since ?? undefined, until);
    if (options.minChanges !== undefined && items.length < options.minChanges) {
      return { written: false, memory_count: items.length, since, until };
    }
    // What went away since the previous synthesis (its key list against the keys now).
    const present = await inputKeys(room);
    const deleted = previous ? ((await deletedSince(room, previous.key, present)) ?? []) : [];
    let method: SynthesisMethod = 'digest';
    let fallback: string | undefined;
    let text: string | undefined;
    if (useLlm && options.llm) {
      try {
        progress({ phase: 'llm', provider: options.llm.name, memories: items.length });
        const sources = items.map((item) => ({ key: item.key, by: item.by, firstLine: item.first_line }));
        const answer = await options.llm.complete({ prompt: synthesisPrompt(room.name, items, since, deleted), sections: LLM_SECTIONS, sources });
        text = `# Synthesis of room '${room.name}' at ${until}\n\n${answer.trim()}\n`;
        method = 'llm';
      } catch (err) {
        if (!(err instanceof LlmFailedError)) throw err;
        fallback = `the LLM failed, so this is the plain digest: ${err.message}`;
      }
    }
    text ??= renderDigest(items, { room: room.name, at: until, since, note: fallback, deleted });
    progress({ phase: 'writing', memories: items.length, method });
    const key = synthesisKeyFor(until);
    // The key list first: a synthesis without one only means catchup cannot name deletions (so a
    // room too big for one is still synthesized).
    await room
      .create(synthesisKeyListFor(key), present, { handle: options.handle, format: 'json', tags: ['synthesis'], maxBytes: KEY_LIST_MAX_BYTES })
      .catch((err) => {
        if (!(err instanceof ValueTooLargeError)) throw err;
      });
    // An exclusive create: a synthesis is immutable, never overwritten.
    await room.create(key, text, {
      handle: options.handle,
      format: 'text',
      tags: ['synthesis'],
      fields: {
        memory_count: items.length,
        deleted_count: deleted.length,
        since,
        until,
        by: options.handle,
        method,
        provider: method === 'llm' ? options.llm?.name : undefined,
        fallback,
      },
    });
    await room.set(POINTER_KEY, `The newest synthesis of this room is \`${key}\` (${items.length} memories, ${method}).\n`, {
      handle: options.handle,
      format: 'text',
      fields: { latest: key, until },
    });
    return { written: true, key, memory_count: items.length, since, until, method, fallback };
  });
}
