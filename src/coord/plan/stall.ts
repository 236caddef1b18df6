/**
 * The one stall rule (issue 13), in a module of its own so the claims code can use it without
 * loading the plan's parser: someone last seen at `lastSeenMs` (NaN or -Infinity: never) has stalled
 * at `nowMs` once more than the stall window has passed. A stalled task owner's task is offered to
 * others; a stalled claim holder's claim may be released by a person (claims library).
 */

/** A claimed task whose owner has not been seen for this long shows as stalled and is offered to others. */
export const DEFAULT_STALL_MS = 30 * 60 * 1000;

export function hasStalled(lastSeenMs: number, nowMs: number, stallMs: number = DEFAULT_STALL_MS): boolean {
  const last = Number.isNaN(lastSeenMs) ? -Infinity : lastSeenMs;
  return nowMs - last > stallMs;
}
