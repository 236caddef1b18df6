import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { infoFilePath } from '../src/home-paths.js';
import { processAlive } from '../src/process-alive.js';
import { ipcRequest } from '../src/ipc/socket.js';
import { readEvents } from '../src/events/log.js';
import { run, startDaemon, startSubscriber, stop, waitFor } from './daemon-helpers.js';
import { cli, homeWithRoom } from './helpers.js';

const brief = (events: any[]) => events.map((e) => `${e.type} ${e.from ? `${e.from}->` : ''}${e.key}`);

/** Detached daemons are not our children: stop them by pid after each test. */
const detached: number[] = [];
afterEach(() => {
  for (const pid of detached.splice(0)) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
});

describe('mycelium daemon start|stop|status', () => {
  it('runs in the foreground, refuses a second daemon for the same home, and stops cleanly', async () => {
    const home = homeWithRoom();
    const daemon = await startDaemon(home);
    const status = cli(['daemon', 'status', '--json'], { home });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, pid: daemon.child.pid });
    expect(statSync(infoFilePath(home)).mode & 0o777).toBe(0o600);

    const info = JSON.parse(readFileSync(infoFilePath(home), 'utf8'));
    expect(await ipcRequest(info, { op: 'ping' })).toMatchObject({ ok: true, pid: daemon.child.pid });
    expect(await ipcRequest({ ...info, token: 'f'.repeat(48) }, { op: 'status' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });

    const second = cli(['daemon', 'start', '--foreground'], { home });
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(new RegExp(`^mycelium: a daemon is already running for .* \\(pid ${daemon.child.pid}\\); stop it with`));

    const stopped = cli(['daemon', 'stop'], { home });
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`daemon ${daemon.child.pid} stopped`);
    expect(await daemon.exited).toBe(0);
    const after = cli(['daemon', 'status'], { home });
    expect(after.code).toBe(1);
    expect(after.stdout).toContain('daemon not running');
    expect(cli(['daemon', 'stop'], { home }).stdout).toContain('no daemon is running');
  });

  it('detaches with `daemon start` and says so when one already runs', async () => {
    const home = homeWithRoom();
    const started = cli(['daemon', 'start', '--json'], { home });
    expect(started.code).toBe(0);
    const { pid } = JSON.parse(started.stdout);
    detached.push(pid);
    expect(processAlive(pid)).toBe(true);
    const again = cli(['daemon', 'start'], { home });
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(`already running for ${home} (pid ${pid})`);
    expect(cli(['daemon', 'stop'], { home }).code).toBe(0);
    expect(processAlive(pid)).toBe(false);
  });
});

describe('memory subscribe', () => {
  it('streams one JSON line per change from every source, filtered by a key glob, and exits cleanly on SIGINT', async () => {
    const home = homeWithRoom();
    await startDaemon(home);
    const dir = join(home, 'rooms', 'team');
    const all = await startSubscriber(home, ['**']);
    const decisions = await startSubscriber(home, ['decision/*']);
    expect(all.stderr()).toContain('from the daemon');

    expect(cli(['memory', 'set', 'decision/db', 'Use PostgreSQL', '--handle', 'ana'], { home }).code).toBe(0);
    await waitFor(() => all.lines().length >= 1, 10_000, 'the CLI write');
    writeFileSync(join(dir, 'notes.md'), 'written by hand\n');
    await waitFor(() => all.lines().length >= 2, 10_000, 'the hand write');
    renameSync(join(dir, 'notes.md'), join(dir, 'decision', 'notes.md'));
    await waitFor(() => all.lines().length >= 3, 10_000, 'the rename');
    expect(cli(['memory', 'rm', 'decision/db'], { home }).code).toBe(0);
    await waitFor(() => all.lines().length >= 4, 10_000, 'the delete');

    const events = all.lines();
    expect(brief(events)).toEqual(['created decision/db', 'created notes', 'renamed notes->decision/notes', 'deleted decision/db']);
    expect(events[0]).toMatchObject({ room: 'team', version: 1, by: 'ana' });
    expect(events[1]).toMatchObject({ version: 0, by: null });
    expect(events.map((e) => e.cursor)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(events[0]).sort()).toEqual(['at', 'by', 'cursor', 'key', 'room', 'type', 'version']);
    await waitFor(() => decisions.lines().length >= 3, 10_000, 'the filtered stream');
    expect(brief(decisions.lines())).toEqual(['created decision/db', 'renamed notes->decision/notes', 'deleted decision/db']);

    expect(await stop(all, 'SIGINT')).toBe(0);
    expect(await stop(decisions, 'SIGINT')).toBe(0);
  });

  it('replays what a subscriber missed with --since, then goes on live', async () => {
    const home = homeWithRoom();
    await startDaemon(home);
    const first = await startSubscriber(home);
    cli(['memory', 'set', 'a', 'one'], { home });
    await waitFor(() => first.lines().length >= 1, 10_000, 'first event');
    const seenCursor = first.lines()[0].cursor;
    expect(await stop(first, 'SIGINT')).toBe(0);
    cli(['memory', 'set', 'b', 'two'], { home });
    cli(['memory', 'set', 'a', 'three'], { home });
    await waitFor(async () => (await readEvents(home, 'team', seenCursor)).events.length >= 2, 10_000, 'the missed events to be logged');

    const resumed = await startSubscriber(home, ['--since', String(seenCursor)]);
    await waitFor(() => resumed.lines().length >= 2, 10_000, 'the replay');
    cli(['memory', 'set', 'c', 'four'], { home });
    await waitFor(() => resumed.lines().length >= 3, 10_000, 'the live event');
    expect(brief(resumed.lines())).toEqual(['created b', 'updated a', 'created c']);
    expect(resumed.lines().map((e) => e.cursor)).toEqual([seenCursor + 1, seenCursor + 2, seenCursor + 3]);
  });

  it('without a daemon, replays the log after --since, then watches in-process and says so (no cursor)', async () => {
    const home = homeWithRoom();
    const daemon = await startDaemon(home);
    cli(['memory', 'set', 'logged', 'value'], { home });
    await waitFor(async () => (await readEvents(home, 'team')).events.length === 1, 10_000, 'the logged event');
    expect(await stop(daemon)).toBe(0);
    const subscriber = await startSubscriber(home, ['**', '--since', '0']);
    expect(subscriber.stderr()).toContain('watching in-process');
    cli(['memory', 'set', 'x', 'value'], { home });
    await waitFor(() => subscriber.lines().length >= 2, 10_000, 'the events');
    expect(subscriber.lines()).toMatchObject([
      { type: 'created', key: 'logged', cursor: 1 },
      { type: 'created', key: 'x', cursor: null },
    ]);
    expect(await stop(subscriber, 'SIGINT')).toBe(0);
  });

  it('rejects an unknown room and a bad --since with clear errors', () => {
    const home = homeWithRoom();
    const unknown = cli(['memory', 'subscribe', '--room', 'nope'], { home });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown room 'nope'");
    const since = cli(['memory', 'subscribe', '--since', 'yesterday'], { home });
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since takes a whole number');
  });
});

describe('catch-up and rooms while running', () => {
  it('logs the changes made while the daemon was stopped when it starts again', async () => {
    const home = homeWithRoom();
    const daemon = await startDaemon(home);
    cli(['memory', 'set', 'kept', 'v1'], { home });
    cli(['memory', 'set', 'gone', 'v1'], { home });
    await waitFor(async () => (await readEvents(home, 'team')).events.length >= 2, 10_000, 'two events');
    expect(await stop(daemon)).toBe(0);
    const dir = join(home, 'rooms', 'team');
    writeFileSync(join(dir, 'kept.md'), readFileSync(join(dir, 'kept.md'), 'utf8') + 'edited offline\n');
    rmSync(join(dir, 'gone.md'));
    writeFileSync(join(dir, 'new.md'), 'new\n');
    await startDaemon(home);
    const events = (await readEvents(home, 'team', 2)).events;
    expect(brief(events).sort()).toEqual(['created new', 'deleted gone', 'updated kept']);
  });

  it('picks up rooms created and removed while running', async () => {
    const home = homeWithRoom();
    await startDaemon(home);
    const subscriber = await startSubscriber(home, ['--all']);
    expect(cli(['room', 'create', 'later'], { home }).code).toBe(0);
    const status = () => JSON.parse(cli(['status', '--json'], { home }).stdout);
    await waitFor(() => status().rooms.some((r: any) => r.name === 'later'), 10_000, 'the new room');
    expect(cli(['memory', 'set', 'k', 'v', '--room', 'later'], { home }).code).toBe(0);
    await waitFor(() => subscriber.lines().length >= 1, 10_000, 'an event in the new room');
    expect(subscriber.lines()[0]).toMatchObject({ type: 'created', room: 'later', key: 'k' });
    expect(cli(['room', 'rm', 'later', '--force'], { home }).code).toBe(0);
    await waitFor(() => !status().rooms.some((r: any) => r.name === 'later'), 10_000, 'the room to go');
    await waitFor(() => subscriber.lines().length >= 2, 10_000, 'the tombstone');
    expect(subscriber.lines()[1]).toMatchObject({ type: 'deleted', room: 'later', key: 'k' });
  });
});

describe('mycelium status', () => {
  it('reports the daemon, model, and per room the memories, pending events, lag, problem files and last reconcile', async () => {
    const home = homeWithRoom();
    const dir = join(home, 'rooms', 'team');
    cli(['memory', 'set', 'good', 'fine'], { home });
    writeFileSync(join(dir, 'broken.md'), '---\ntags: [unclosed\n---\nbody\n');

    const offline = cli(['status', '--json'], { home });
    expect(offline.code).toBe(0);
    const down = JSON.parse(offline.stdout);
    expect(down.daemon).toEqual({ running: false, pid: null, started_at: null });
    expect(down.model).toEqual({ name: null, reason: expect.any(String) });
    expect(down.rooms).toEqual([
      {
        name: 'team',
        memories: 2,
        last_change: expect.any(String),
        pending_events: 0,
        index_lag_ms: null,
        problems: [{ path: join(dir, 'broken.md'), reason: expect.stringMatching(/^line \d+: broken frontmatter/) }],
        last_reconcile: null,
        watch_failure: null,
      },
    ]);

    const daemon = await startDaemon(home);
    const up = JSON.parse(cli(['status', '--json'], { home }).stdout);
    expect(up.daemon).toMatchObject({ running: true, pid: daemon.child.pid });
    expect(up.rooms[0]).toMatchObject({ name: 'team', memories: 2, pending_events: 0, index_lag_ms: null });
    expect(up.rooms[0].problems).toEqual(down.rooms[0].problems);
    expect(Date.parse(up.rooms[0].last_reconcile)).toBeGreaterThan(Date.now() - 60_000);
    const text = cli(['status'], { home }).stdout;
    expect(text).toContain(`running (pid ${daemon.child.pid}`);
    expect(text).toContain(`team: ${join(dir, 'broken.md')}: line`);
  });
});
