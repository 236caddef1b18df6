import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventLogPath } from '../src/home-paths.js';
import { readEvents } from '../src/events/log.js';
import { startDaemon, waitFor } from './daemon-helpers.js';
import { cli, homeWithRoom } from './helpers.js';

const roomStatus = (home: string) => JSON.parse(cli(['status', '--json'], { home }).stdout).rooms[0];

describe('a watcher batch that fails', () => {
  it('is taken back and retried with a backoff until it goes through; status shows the failure, then the catch-up', async () => {
    const home = homeWithRoom();
    const dir = join(home, 'rooms', 'team');
    const daemon = await startDaemon(home);
    writeFileSync(join(dir, 'before.md'), 'seen while all is well\n');
    await waitFor(async () => (await readEvents(home, 'team')).events.some((e) => e.key === 'before'), 10_000, 'the first event');
    expect(roomStatus(home).watch_failure).toBeNull();

    // The room's event log becomes a folder: every append fails (EISDIR), as on a full disk.
    const log = eventLogPath(home, 'team');
    rmSync(log);
    mkdirSync(log);
    writeFileSync(join(dir, 'during-1.md'), 'written while the log cannot be appended\n');
    writeFileSync(join(dir, 'during-2.md'), 'and another\n');
    const failing = await waitFor(() => {
      const failure = roomStatus(home).watch_failure;
      return failure?.pending_retry && failure.attempts >= 2 ? failure : undefined;
    }, 15_000, 'two failed attempts in status');
    expect(failing.error).toMatch(/EISDIR/);
    expect(Date.parse(failing.retry_at)).toBeGreaterThan(Date.parse(failing.at));
    expect(failing.recovered_at).toBeNull();
    expect(roomStatus(home).pending_events).toBeGreaterThanOrEqual(2); // the batch's keys are dirty again
    const human = cli(['status'], { home }).stdout;
    expect(human).toMatch(/team: watcher batch failed at \S+ \(\d+ attempts\): .*EISDIR.*; retry \d+ at /);
    await waitFor(() => /watcher error in room 'team': .*EISDIR.*; \d+ changes kept, attempt \d+ in \d+ ms/.test(daemon.stderr()), 5_000, 'the failure in the log');

    // The disk heals: the next retry hands on the same events, in order, with no gap in the cursors.
    rmSync(log, { recursive: true });
    const recovered = await waitFor(() => {
      const failure = roomStatus(home).watch_failure;
      return failure && !failure.pending_retry ? failure : undefined;
    }, 40_000, 'the retry to go through');
    expect(recovered.retry_at).toBeNull();
    expect(Date.parse(recovered.recovered_at)).toBeGreaterThanOrEqual(Date.parse(recovered.at));
    const { events } = await readEvents(home, 'team');
    expect(events.map((e) => [e.type, e.key]).sort()).toEqual([
      ['created', 'during-1'],
      ['created', 'during-2'],
    ]);
    const status = JSON.parse(cli(['status', '--json'], { home }).stdout);
    expect(events.map((e) => e.cursor).sort((a, b) => a - b)).toEqual([status.cursor - 1, status.cursor]);
    expect(status.cursor).toBe(2 + 1); // `before` took cursor 1; the failed attempts spent none
    expect(status.rooms[0]).toMatchObject({ memories: 3, pending_events: 0 });
    expect(cli(['status'], { home }).stdout).toMatch(/team: watcher batch failed at .*; caught up at /);
    // The retried batch reached the index too: a search finds what was written during the failure.
    const found = JSON.parse(cli(['memory', 'search', 'another', '--room', 'team', '--json'], { home }).stdout);
    expect(found.results.map((r: { key: string }) => r.key)).toContain('during-2');
  }, 90_000);
});
