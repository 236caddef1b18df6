/**
 * A sleep that a change in the room cuts short: the subscription `mycelium await` rests on (the
 * daemon's stream when it runs, else this process's own watch), filtered to a key glob. Waiters
 * re-read their files after each wake; a slow poll in `sleep` backs the events up, so a missed event
 * costs at most that interval, never a result.
 */
import type { Room } from '../room.js';
import { subscribe } from '../watch/subscribe.js';

export interface ChangeWaker {
  /** Settles once the subscription is live (or failed: the poll still works). */
  ready: Promise<void>;
  /**
   * Waits up to `ms`, or less when a matching change came since the last call (then it returns at
   * once: the change came while the caller was reading).
   */
  sleep(ms: number): Promise<void>;
  close(): Promise<void>;
}

export function changeWaker(room: Room, pattern: string, options: { signal?: AbortSignal; debounceMs?: number } = {}): ChangeWaker {
  const { signal } = options;
  const stop = new AbortController();
  const abort = () => stop.abort();
  signal?.addEventListener('abort', abort);
  let changed = false;
  const sleeper: { wake: (() => void) | null } = { wake: null };
  let ready!: () => void;
  const live = new Promise<void>((resolve) => (ready = resolve));
  const events = (async () => {
    try {
      const stream = subscribe(room.home, {
        room: room.name,
        pattern,
        signal: stop.signal,
        debounceMs: options.debounceMs,
        onNotice: (notice) => {
          if (notice.kind === 'ready' || notice.kind === 'ended') ready();
        },
      });
      for await (const _event of stream) {
        changed = true;
        sleeper.wake?.();
      }
    } catch {
      // no events: the poll in sleep() carries on
    } finally {
      ready();
    }
  })();
  return {
    ready: live,
    async sleep(ms) {
      if (changed || stop.signal.aborted) {
        changed = false;
        return;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop.signal.removeEventListener('abort', done);
          sleeper.wake = null;
          // Consumed at the wake itself, not after the await: a change that lands between this
          // wake and the caller's next read stays flagged for the next sleep.
          changed = false;
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        sleeper.wake = done;
        stop.signal.addEventListener('abort', done);
      });
    },
    async close() {
      signal?.removeEventListener('abort', abort);
      stop.abort();
      await events;
    },
  };
}
