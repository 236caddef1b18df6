import { describe, expect, it } from 'vitest';
import { changeWaker } from '../src/coord/change-waker.js';
import { Room } from '../src/room.js';
import { createRoom } from '../src/rooms.js';
import { startDaemon } from './daemon-helpers.js';
import { tempDir } from './helpers.js';

/**
 * The sleep that a change in the room cuts short (src/coord/change-waker.ts), on real files: in
 * this process's own watch, and through a running daemon's stream.
 */
async function roomIn(home: string): Promise<Room> {
  await createRoom(home, 'team');
  return Room.open(home, 'team');
}

async function timed(work: () => Promise<void>): Promise<number> {
  const t0 = Date.now();
  await work();
  return Date.now() - t0;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Handles this process holds open, by kind (file watches, sockets, timers). */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe('changeWaker: waiting on changes in a room', () => {
  it('wakes on a change in the watched folder, well before the sleep runs out', async () => {
    const room = await roomIn(tempDir());
    const waker = changeWaker(room, 'sessions/**', { debounceMs: 2 });
    try {
      await waker.ready;
      const sleeping = timed(() => waker.sleep(20_000));
      await pause(50);
      await room.set('sessions/s1/session', 'hello', { handle: 'ana' });
      expect(await sleeping).toBeLessThan(10_000);
    } finally {
      await waker.close();
    }
  });

  it('times out when nothing changes, and a change outside the pattern does not wake it', async () => {
    const room = await roomIn(tempDir());
    const waker = changeWaker(room, 'sessions/**', { debounceMs: 2 });
    try {
      await waker.ready;
      expect(await timed(() => waker.sleep(300))).toBeGreaterThanOrEqual(290);
      const sleeping = timed(() => waker.sleep(1_500));
      await pause(50);
      await room.set('notes/elsewhere', 'not a session', { handle: 'ana' });
      expect(await sleeping).toBeGreaterThanOrEqual(1_450);
    } finally {
      await waker.close();
    }
  });

  it('does not miss a change made between the check and the wait: the next sleep returns at once, once', async () => {
    const room = await roomIn(tempDir());
    const waker = changeWaker(room, 'sessions/**', { debounceMs: 2 });
    try {
      await waker.ready;
      // The caller is busy reading (not sleeping) when the change lands.
      await room.set('sessions/s1/session', 'changed while reading', { handle: 'ana' });
      await pause(2_000); // long enough for the event to arrive while nobody sleeps (even under load)
      expect(await timed(() => waker.sleep(20_000))).toBeLessThan(200);
      // The change is consumed by that wake: with nothing new, the next sleep runs its course.
      expect(await timed(() => waker.sleep(300))).toBeGreaterThanOrEqual(290);
    } finally {
      await waker.close();
    }
  });

  it('cleans up: close() releases its file watches and timers, and a sleep after close returns at once', async () => {
    const room = await roomIn(tempDir());
    const before = handles();
    const waker = changeWaker(room, 'sessions/**', { debounceMs: 2 });
    await waker.ready;
    expect(handles().FSEventWrap ?? 0).toBeGreaterThan(before.FSEventWrap ?? 0); // the watches are seen by this count
    const sleeping = waker.sleep(20_000);
    await pause(20);
    await waker.close();
    await sleeping; // close cuts a sleep short
    expect(await timed(() => waker.sleep(20_000))).toBeLessThan(100);
    await pause(50);
    const after = handles();
    expect(after.FSEventWrap ?? 0).toBe(before.FSEventWrap ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
  });

  it('an abort signal ends it like close(): the sleep returns and the watches are released', async () => {
    const room = await roomIn(tempDir());
    const before = handles();
    const abort = new AbortController();
    const waker = changeWaker(room, 'sessions/**', { signal: abort.signal, debounceMs: 2 });
    await waker.ready;
    const sleeping = timed(() => waker.sleep(20_000));
    await pause(20);
    abort.abort();
    expect(await sleeping).toBeLessThan(1_000);
    await waker.close();
    await pause(50); // a watch's handle is released on the loop turn after its close
    expect(handles().FSEventWrap ?? 0).toBe(before.FSEventWrap ?? 0);
  });

  it('through a running daemon: wakes on a change, and close() ends the stream (no socket left open)', async () => {
    const home = tempDir();
    const room = await roomIn(home);
    const daemon = await startDaemon(home);
    const before = handles();
    const waker = changeWaker(room, 'sessions/**', { debounceMs: 2 });
    try {
      await waker.ready;
      expect(handles().FSEventWrap ?? 0).toBe(before.FSEventWrap ?? 0); // the daemon watches, not this process
      expect(handles().TCPSocketWrap ?? 0).toBeGreaterThan(before.TCPSocketWrap ?? 0);
      const sleeping = timed(() => waker.sleep(20_000));
      await pause(50);
      await room.set('sessions/s1/session', 'hello', { handle: 'ana' });
      expect(await sleeping).toBeLessThan(10_000);
    } finally {
      await waker.close();
    }
    await pause(50);
    expect(handles().TCPSocketWrap ?? 0).toBe(before.TCPSocketWrap ?? 0);
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }, 60_000);
});
