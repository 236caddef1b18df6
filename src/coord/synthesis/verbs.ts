import { InvalidInputError } from '../../errors.js';
import { DEFAULT_CATCHUP_LIMIT } from './catchup.js';
import { parseTriggerSpec, type Trigger } from './trigger.js';

/**
 * The inputs of the synthesis verbs, checked once for every face (CLI flags, HTTP bodies and
 * query strings, MCP arguments): each returns the checked value or throws InvalidInputError.
 */

/** Most changes `catchup` lists at once. */
export const MAX_CATCHUP_LIMIT = 1000;

/** `limit` of catchup: a whole number 1..MAX_CATCHUP_LIMIT (text or number); absent: the default. */
export function catchupLimit(value: unknown, name = 'limit'): number {
  if (value === undefined || value === null || value === '') return DEFAULT_CATCHUP_LIMIT;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_CATCHUP_LIMIT) {
    throw new InvalidInputError(`${name} takes a whole number from 1 to ${MAX_CATCHUP_LIMIT}, got '${text.slice(0, 20)}'`);
  }
  return Number(text);
}

/** `llm` of synthesize: true (ask the LLM), false (the digest), absent (the LLM when configured). */
export function synthesizeLlm(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new InvalidInputError(`llm must be true or false, got ${JSON.stringify(value)?.slice(0, 20)}`);
  return value;
}

/** `trigger` of trigger set: the text `threshold:N`. */
export function triggerSpec(value: unknown): Trigger {
  if (typeof value !== 'string') throw new InvalidInputError("the trigger must be text such as 'threshold:5'");
  return parseTriggerSpec(value);
}
