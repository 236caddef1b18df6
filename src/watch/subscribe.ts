import type { ChangeEvent } from '../events/change-event.js';
import { readEvents } from '../events/log.js';
import { DaemonError } from '../errors.js';
import { roomDir, roomNames } from '../room.js';
import { runningDaemon } from '../daemon/files.js';
import { ipcStream, type IpcReply } from '../daemon/ipc-client.js';
import { keyGlob } from './glob.js';
import { HomeWatcher } from './home-watcher.js';
import { ChangeNormalizer } from './normalizer.js';
import { RoomState } from './room-state.js';
import type { Logger } from '../settings.js';

export interface SubscribeOptions {
  /** Only this room; every room when omitted. */
  room?: string;
  /** Glob on keys (`decision/*`, `**`); a rename matches on either key. Default `**`. */
  pattern?: string;
  /** Replay logged events after this cursor first, so a subscriber that was down misses nothing. */
  since?: number;
  /** Ends the subscription (the iterator finishes cleanly). */
  signal?: AbortSignal;
  /** Told once the subscription is live, and of anything a reader should know (source, gaps). */
  onNotice?(notice: SubscribeNotice): void;
  /** Told, as one line, of a failure the in-process watcher survived (the face prints it). */
  log?: Logger;
}

export type SubscribeNotice =
  | { kind: 'ready'; source: 'daemon' | 'in-process'; cursor: number }
  | { kind: 'truncated'; room: string }
  | { kind: 'ended'; reason: string };

/**
 * Every change to matching memories, from every source (CLI, hand edits, git pull), as an async
 * iterable. With a daemon running, events come from it with durable cursors. Without one, this
 * process watches the rooms itself: events then carry `cursor: null` (nothing is logged, since
 * only the daemon writes the log), after replaying whatever the log holds after `since`.
 */
export async function* subscribe(home: string, options: SubscribeOptions = {}): AsyncGenerator<ChangeEvent> {
  const queue: ChangeEvent[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  const push = (event: ChangeEvent) => {
    queue.push(event);
    wake?.();
  };
  const finish = (reason?: string) => {
    if (done) return;
    done = true;
    if (reason) options.onNotice?.({ kind: 'ended', reason });
    wake?.();
  };
  const onAbort = () => finish();
  options.signal?.addEventListener('abort', onAbort);
  const source = runningDaemon(home)
    ? await fromDaemon(home, options, push, finish).catch(() => null)
    : null;
  const stop = source ?? (await inProcess(home, options, push));
  try {
    while (!done || queue.length > 0) {
      if (queue.length > 0) yield queue.shift()!;
      else if (!options.signal?.aborted) await new Promise<void>((resolve) => (wake = resolve));
      else break;
      wake = null;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await stop();
  }
}

async function fromDaemon(
  home: string,
  options: SubscribeOptions,
  push: (event: ChangeEvent) => void,
  finish: (reason?: string) => void,
): Promise<() => Promise<void>> {
  const info = runningDaemon(home);
  if (!info) throw new DaemonError('no daemon');
  let live = true;
  const onMessage = (reply: IpcReply) => {
    if (!reply.ok) return finish(reply.error?.message ?? 'the daemon refused the subscription');
    if (reply.subscribed) options.onNotice?.({ kind: 'ready', source: 'daemon', cursor: reply.cursor as number });
    else if (reply.truncated) options.onNotice?.({ kind: 'truncated', room: reply.room as string });
    else if (reply.event) push(reply.event as ChangeEvent);
  };
  const stream = await ipcStream(
    info,
    { op: 'subscribe', room: options.room ?? null, pattern: options.pattern ?? '**', since: options.since ?? null },
    onMessage,
    () => live && finish('the daemon stopped'),
  );
  return async () => {
    live = false;
    stream.close();
  };
}

async function inProcess(home: string, options: SubscribeOptions, push: (event: ChangeEvent) => void): Promise<() => Promise<void>> {
  const matches = keyGlob(options.pattern ?? '**');
  const wanted = (e: ChangeEvent) => matches(e.key) || (e.from !== undefined && matches(e.from));
  const rooms = new Map<string, ChangeNormalizer>();
  const addRoom = async (name: string) => {
    if (rooms.has(name) || (options.room && name !== options.room)) return;
    const state = new RoomState(name, roomDir(home, name));
    await state.reconcile(); // the baseline: only changes from now on are events
    rooms.set(name, new ChangeNormalizer(state, async (events) => events.filter(wanted).forEach(push), { log: options.log }));
  };
  const watcher = await HomeWatcher.start(
    home,
    {
      onKey: (room, key) => rooms.get(room)?.touch(key),
      onFolderGone: (room, prefix) => {
        const normalizer = rooms.get(room);
        for (const key of normalizer?.state.files.keys() ?? []) if (key.startsWith(prefix)) normalizer!.touch(key);
      },
      onFolderAdded: (room, prefix) => rooms.get(room)?.touchFolder(prefix),
      onRoom: (room, present) => {
        if (present) void addRoom(room);
      },
    },
    options.room,
  );
  const names = options.room ? [options.room] : await roomNames(home);
  let cursor = 0;
  const replay: ChangeEvent[] = [];
  for (const name of names) {
    if (options.since !== undefined) {
      const read = await readEvents(home, name, options.since);
      if (read.truncated) options.onNotice?.({ kind: 'truncated', room: name });
      replay.push(...read.events.filter(wanted));
      cursor = Math.max(cursor, read.cursor);
    }
    await addRoom(name);
  }
  replay.sort((a, b) => a.cursor! - b.cursor!).forEach(push);
  options.onNotice?.({ kind: 'ready', source: 'in-process', cursor });
  return async () => {
    await watcher.close();
    for (const normalizer of rooms.values()) await normalizer.close();
  };
}
