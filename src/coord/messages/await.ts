/**
 * Waiting for a message addressed to a handle (issue 12, `mycelium await`). Built on the
 * subscription client: a created file under messages/ wakes the waiter, which then reads its inbox.
 * A slow poll backs the events up (a missed event costs at most a poll interval, never a message)
 * and notices a room deleted while waiting, which ends the wait with RoomNotFoundError.
 */
import { stat } from 'node:fs/promises';
import { RoomNotFoundError } from '../../errors.js';
import type { Room } from '../../room.js';
import type { Logger } from '../../settings.js';
import { subscribe } from '../../watch/subscribe.js';
import { promptSafe } from '../prompt-safe.js';
import type { Message } from './format.js';
import { readInbox } from './inbox.js';

export interface AwaitOptions {
  /** Give up after this many milliseconds (undefined: wait until the signal aborts). */
  timeoutMs?: number;
  /** Broadcasts count as addressed too. */
  all?: boolean;
  /** Leave the read cursor where it is (the resident loop advances it after the item is handled). */
  peek?: boolean;
  /** How often to re-read the inbox and check the room is still there (default 1000 ms). */
  pollMs?: number;
  signal?: AbortSignal;
  /** Warnings about unreadable files, cursors and the like. */
  onWarning?(line: string): void;
  /** Told, as one line, of a failure the in-process watcher survived (the face prints it). */
  log?: Logger;
  /** Told once the subscription is live (tests and benches wait for it). */
  onReady?(source: 'daemon' | 'in-process'): void;
}

export type AwaitResult = { type: 'message'; message: Message } | { type: 'timeout' } | { type: 'aborted' };

/** The next unread message addressed to `handle`; waits for one when there is none yet. */
export async function awaitMessage(room: Room, handle: string, options: AwaitOptions = {}): Promise<AwaitResult> {
  const stop = new AbortController();
  const abort = () => stop.abort();
  options.signal?.addEventListener('abort', abort);
  let wake: (() => void) | null = null;
  let dirty = false; // an event came while the inbox was being read: read again without sleeping
  const poke = () => {
    dirty = true;
    wake?.();
  };
  let ready!: () => void;
  const live = new Promise<void>((resolve) => (ready = resolve));
  const events = (async () => {
    try {
      for await (const event of subscribe(room.home, {
        room: room.name,
        pattern: 'messages/**',
        signal: stop.signal,
        log: options.log,
        onNotice: (notice) => {
          if (notice.kind === 'ready') {
            options.onReady?.(notice.source);
            ready();
          } else if (notice.kind === 'ended') ready();
        },
      })) {
        if (event.type === 'created' || event.type === 'renamed') poke();
      }
    } catch {
      // the poll below still finds messages; a gone room is reported by it
    } finally {
      ready();
    }
  })();
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  try {
    await Promise.race([live, new Promise((resolve) => stop.signal.addEventListener('abort', resolve))]);
    for (;;) {
      if (stop.signal.aborted) return { type: 'aborted' };
      if (!(await stat(room.dir).catch(() => undefined))?.isDirectory()) {
        throw new RoomNotFoundError(`room '${room.name}' was deleted while waiting; create it again with \`mycelium room create ${room.name}\``);
      }
      dirty = false;
      const warnings: string[] = [];
      const [message] = await readInbox(room, handle, { limit: 1, all: options.all, peek: options.peek }, warnings);
      for (const line of warnings) options.onWarning?.(line);
      if (message) return { type: 'message', message };
      const left = deadline - Date.now();
      if (left <= 0) return { type: 'timeout' };
      if (dirty) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, options.pollMs ?? 1000));
        wake = done;
        stop.signal.addEventListener('abort', done);
      });
      wake = null;
    }
  } finally {
    options.signal?.removeEventListener('abort', abort);
    stop.abort();
    await events;
  }
}

/** The await payload: one JSON-able object whose text is safe to paste into a prompt. */
export function awaitPayload(message: Message): Record<string, unknown> {
  return { type: 'message', ...message, text: promptSafe(message.text) };
}
