import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { infoFilePath, pidFilePath } from '../src/home-paths.js';
import type { LoggedEvent } from '../src/events/change-event.js';
import { readEvents } from '../src/events/log.js';
import { run, startDaemon, waitFor } from './daemon-helpers.js';
import { cli, homeWithRoom } from './helpers.js';

const status = (home: string) => JSON.parse(cli(['status', '--json'], { home }).stdout);

/** The keys the event log says exist: created/updated add, deleted removes, renamed moves. */
function fold(events: LoggedEvent[]): string[] {
  const keys = new Set<string>();
  for (const e of [...events].sort((a, b) => a.cursor - b.cursor)) {
    if (e.type === 'deleted') keys.delete(e.key);
    else {
      if (e.from) keys.delete(e.from);
      keys.add(e.key);
    }
  }
  return [...keys].sort();
}

function keysOnDisk(dir: string): string[] {
  const keys: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.md') && !name.startsWith('.')) keys.push(relative(dir, full).split(sep).join('/').slice(0, -3));
    }
  };
  walk(dir);
  return keys.sort();
}

describe('daemon faults', () => {
  it('kill -9 during a burst: the restarted daemon reconciles log and index to exactly the files on disk', async () => {
    const home = homeWithRoom();
    const dir = join(home, 'rooms', 'team');
    for (let i = 0; i < 300; i++) writeFileSync(join(dir, `old${i}.md`), `oldword ${i}\n`);
    const daemon = await startDaemon(home);
    for (let i = 0; i < 600; i++) {
      mkdirSync(join(dir, `burst${i % 10}`), { recursive: true });
      writeFileSync(join(dir, `burst${i % 10}`, `n${i}.md`), `newword ${i}\n`);
      if (i < 150) unlinkSync(join(dir, `old${i}.md`));
      if (i === 300) daemon.child.kill('SIGKILL');
    }
    await daemon.exited;
    await startDaemon(home);
    const expected = keysOnDisk(dir);
    expect(expected.length).toBe(750);
    expect(fold((await readEvents(home, 'team')).events)).toEqual(expected);
    expect(status(home).rooms[0]).toMatchObject({ name: 'team', memories: 750 });
    // The index too: no phantom (a deleted file found), no missing entry.
    const found = (word: string) => {
      const result = cli(['memory', 'search', word, '--json', '--limit', '1000'], { home, env: { MYCELIUM_OFFLINE: '1' } });
      return (JSON.parse(result.stdout).results as { key: string }[]).map((r) => r.key).sort();
    };
    expect(found('oldword')).toEqual(expected.filter((k) => k.startsWith('old')));
    expect(found('newword')).toEqual(expected.filter((k) => k.startsWith('burst')));
  });

  it('a room folder deleted while watched: its memories are tombstoned and the daemon goes on', async () => {
    const home = homeWithRoom();
    expect(cli(['room', 'create', 'other'], { home }).code).toBe(0);
    await startDaemon(home);
    cli(['memory', 'set', 'a', '1'], { home });
    cli(['memory', 'set', 'b/c', '2'], { home });
    await waitFor(() => status(home).rooms.find((r: any) => r.name === 'team')?.memories === 2, 10_000, 'two memories');
    rmSync(join(home, 'rooms', 'team'), { recursive: true });
    await waitFor(() => !status(home).rooms.some((r: any) => r.name === 'team'), 10_000, 'the room to be dropped');
    expect(fold((await readEvents(home, 'team')).events)).toEqual([]);
    cli(['memory', 'set', 'still', 'works', '--room', 'other'], { home });
    await waitFor(async () => (await readEvents(home, 'other')).events.length === 1, 10_000, 'an event in the other room');
  });

  it('a file replaced by a folder of the same name: the key is deleted, the files inside are memories', async () => {
    const home = homeWithRoom();
    const dir = join(home, 'rooms', 'team');
    await startDaemon(home);
    cli(['memory', 'set', 'x', 'a file'], { home });
    await waitFor(async () => (await readEvents(home, 'team')).events.length === 1, 10_000, 'the create');
    unlinkSync(join(dir, 'x.md'));
    mkdirSync(join(dir, 'x.md'));
    writeFileSync(join(dir, 'x.md', 'inside.md'), 'inside\n');
    await waitFor(async () => fold((await readEvents(home, 'team')).events).join() === 'x.md/inside', 10_000, 'the swap');
    expect(status(home).rooms[0].memories).toBe(1);
  });

  it('permission denied on one file: reported in status, the rest keeps working', async () => {
    const home = homeWithRoom();
    const dir = join(home, 'rooms', 'team');
    writeFileSync(join(dir, 'secret.md'), 'no entry\n');
    chmodSync(join(dir, 'secret.md'), 0o000);
    // root reads anything, so when tests run as root the daemon runs as nobody over a home nobody owns.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const chownTree = (p: string) => {
        if (p !== join(dir, 'secret.md')) chownSync(p, 65534, 65534);
        if (statSync(p).isDirectory()) for (const name of readdirSync(p)) chownTree(join(p, name));
      };
      chownTree(home);
    }
    const daemon = await startDaemon(home, asRoot ? { uid: 65534, gid: 65534 } : {});
    const problems = () => status(home).rooms[0].problems;
    expect(problems()).toEqual([{ path: join(dir, 'secret.md'), reason: 'cannot read (EACCES)' }]);
    writeFileSync(join(dir, 'open.md'), 'readable\n');
    if (asRoot) chownSync(join(dir, 'open.md'), 65534, 65534);
    await waitFor(async () => (await readEvents(home, 'team')).events.some((e) => e.key === 'open'), 10_000, 'the readable file');
    expect(daemon.child.exitCode).toBeNull();
  });

  it('two daemons started at once: one wins, the other exits with a clear message', async () => {
    const home = homeWithRoom();
    const a = run(['daemon', 'start', '--foreground', '--json'], home);
    const b = run(['daemon', 'start', '--foreground', '--json'], home);
    const loser = await Promise.race([a.exited.then(() => a), b.exited.then(() => b)]);
    const winner = loser === a ? b : a;
    expect(await loser.exited).toBe(3);
    expect(loser.stderr()).toMatch(/^mycelium: a daemon is already running for .* \(pid \d+\); stop it with `mycelium daemon stop`\n$/);
    await waitFor(() => winner.lines().some((l) => l.event === 'ready'), 20_000, 'the winner to be ready');
    expect(winner.child.exitCode).toBeNull();
  });

  it('daemon files whose pid now belongs to another program are not trusted: the CLI works in-process', async () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'notes/a', 'findable words'], { home });
    const other = spawn('sleep', ['30']);
    try {
      mkdirSync(join(home, 'daemon'), { recursive: true });
      writeFileSync(pidFilePath(home), `${other.pid}\n`);
      writeFileSync(infoFilePath(home), JSON.stringify({ pid: other.pid, port: 1, token: 'x', started_at: '' }));
      const search = cli(['memory', 'search', 'findable', '--json'], { home, env: { MYCELIUM_OFFLINE: '1' } });
      expect(search.code).toBe(0);
      expect(JSON.parse(search.stdout).results.map((r: { key: string }) => r.key)).toEqual(['notes/a']);
      expect(status(home).daemon.running).toBe(false);
      const daemon = await startDaemon(home); // and a new daemon takes over the pid file
      expect(Number(readFileSync(pidFilePath(home), 'utf8'))).toBe(daemon.child.pid);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('a stale pid file from a crashed daemon is detected and replaced', async () => {
    const home = homeWithRoom();
    const crashed = await startDaemon(home);
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    expect(Number(readFileSync(pidFilePath(home), 'utf8'))).toBe(crashed.child.pid);
    expect(JSON.parse(cli(['daemon', 'status', '--json'], { home }).stdout).running).toBe(false);
    const fresh = await startDaemon(home);
    expect(Number(readFileSync(pidFilePath(home), 'utf8'))).toBe(fresh.child.pid);
    cli(['memory', 'set', 'after', 'crash'], { home });
    await waitFor(async () => (await readEvents(home, 'team')).events.some((e) => e.key === 'after'), 10_000, 'an event');
  });
});

