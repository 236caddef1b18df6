import { LlmFailedError, LlmNotConfiguredError, MemoryNotFoundError } from '../../errors.js';
import { withLock } from '../../lock.js';
import type { Memory, Room } from '../../room.js';
import { runLlm, type LlmSettings } from '../llm.js';
import { renderDigest } from './digest.js';
import { synthesisPrompt } from './prompt.js';
import { POINTER_KEY, changedSince, isSynthesisKey, synthesisKeyFor } from './select.js';

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
  text: string;
}

export interface SynthesizeOptions {
  handle: string;
  /** The `[llm]` settings, when configured. */
  llm?: LlmSettings;
  /** true: ask the LLM (an error when none is configured); false: the digest; default: the LLM when configured. */
  useLlm?: boolean;
  /** Write only if at least this many memories changed since the last synthesis (threshold triggers). */
  minChanges?: number;
  /** The clock (tests). */
  now?: () => Date;
}

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

/** The room's newest synthesis (by key: the keys are timestamps), or undefined before the first. */
export async function latestSynthesis(room: Room): Promise<SynthesisInfo | undefined> {
  const keys = (await room.keys()).filter(isSynthesisKey);
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
    throw new LlmNotConfiguredError('no [llm] command in config.toml; add `[llm] command = "..."` or run without --llm');
  }
  const now = options.now ?? (() => new Date());
  return withLock(room.home, `synthesis:${room.name}`, async () => {
    const until = now().toISOString();
    const previous = await latestSynthesis(room);
    const since = previous?.until ?? null;
    const items = await changedSince(room, since ?? undefined);
    if (options.minChanges !== undefined && items.length < options.minChanges) {
      return { written: false, memory_count: items.length, since, until };
    }
    let method: SynthesisMethod = 'digest';
    let fallback: string | undefined;
    let text: string | undefined;
    if (useLlm && options.llm) {
      try {
        text = (await runLlm(synthesisPrompt(room.name, items, since), options.llm, { cwd: room.dir })) + '\n';
        method = 'llm';
      } catch (err) {
        if (!(err instanceof LlmFailedError)) throw err;
        fallback = `the LLM failed, so this is the plain digest: ${err.message}`;
      }
    }
    text ??= renderDigest(items, { room: room.name, at: until, since, note: fallback });
    const key = synthesisKeyFor(until);
    await room.set(key, text, {
      handle: options.handle,
      format: 'text',
      ifVersion: 0, // immutable: a synthesis is never overwritten
      tags: ['synthesis'],
      fields: { memory_count: items.length, since, until, by: options.handle, method, fallback },
    });
    await room.set(POINTER_KEY, `The newest synthesis of this room is \`${key}\` (${items.length} memories, ${method}).\n`, {
      handle: options.handle,
      format: 'text',
      fields: { latest: key, until },
    });
    return { written: true, key, memory_count: items.length, since, until, method, fallback };
  });
}
