import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processAlive } from '../src/process-alive.js';
import { waitFor } from './daemon-helpers.js';
import { cli, homeWithRoom } from './helpers.js';

const offline = { MYCELIUM_OFFLINE: '1' };
const started: { home: string; pid: number }[] = [];
afterEach(() => {
  for (const { home, pid } of started.splice(0)) {
    cli(['daemon', 'stop'], { home, env: offline });
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  }
});

/** A room big enough that the daemon's first catch-up is still running when `daemon start` looks. */
function bigHome(files = 1500): string {
  const home = homeWithRoom();
  const dir = join(home, 'rooms', 'team', 'notes');
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `n${i}.md`), `note ${i} about topic ${i % 37} and the word w${i}\n`);
  return home;
}

describe('daemon start while the daemon catches up', () => {
  it('says "starting" with what it is doing and exits 0 when the daemon is not ready within --wait; status says starting, then running', async () => {
    const home = bigHome();
    const result = cli(['daemon', 'start', '--wait', '0', '--json'], { home, env: offline });
    expect(result.code, result.stderr).toBe(0);
    const reply = JSON.parse(result.stdout);
    started.push({ home, pid: reply.pid });
    expect(reply).toMatchObject({ running: true, ready: false, pid: expect.any(Number) });
    expect(reply.progress).toMatchObject({ pid: reply.pid, step: expect.stringMatching(/^(loading|indexing)$/) });
    // Status never says "not running" meanwhile: starting (exit 0) until it is ready.
    const ready = await waitFor(() => {
      const status = cli(['daemon', 'status', '--json'], { home, env: offline });
      expect(status.code, status.stdout + status.stderr).toBe(0);
      const parsed = JSON.parse(status.stdout);
      expect(parsed.running).toBe(true);
      return parsed.ready ? parsed : null;
    }, 60_000, 'the daemon to be ready');
    expect(ready.pid).toBe(reply.pid);
    expect(cli(['daemon', 'status'], { home, env: offline }).stdout).toMatch(/^daemon running/);
  }, 90_000);

  it('prints progress lines on stderr while it waits, and none with --quiet', async () => {
    const home = bigHome();
    const loud = cli(['daemon', 'start', '--wait', '60'], { home, env: offline });
    expect(loud.code, loud.stderr).toBe(0);
    const pid = Number(/pid (\d+)/.exec(loud.stdout)![1]);
    started.push({ home, pid });
    expect(loud.stdout).toMatch(/^daemon started \(pid \d+\)/);
    expect(loud.stderr).toMatch(new RegExp(`^mycelium: daemon starting \\(pid ${pid}\\): (loading the search model|indexing room 'team')`, 'm'));
    expect(cli(['daemon', 'stop'], { home, env: offline }).code).toBe(0);

    const quiet = cli(['daemon', 'start', '--wait', '60', '--quiet'], { home, env: offline });
    expect(quiet.code, quiet.stderr).toBe(0);
    started.push({ home, pid: Number(/pid (\d+)/.exec(quiet.stdout)![1]) });
    expect(quiet.stdout).toMatch(/^daemon started/);
    expect(quiet.stderr).toBe('');
  }, 120_000);

  it('a failed start quotes only its own log lines, not an older run\'s', () => {
    const home = homeWithRoom();
    mkdirSync(join(home, 'daemon'), { recursive: true });
    writeFileSync(join(home, 'daemon', 'daemon.log'), 'mycelium: an old line from last week\n');
    // The daemon cannot take the home's lock: the locks folder is a file.
    writeFileSync(join(home, 'locks'), 'not a folder');
    const result = cli(['daemon', 'start', '--wait', '5'], { home, env: offline });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^mycelium: the daemon did not start \(cannot create .*locks/);
    expect(result.stderr).not.toContain('old line');
  });
});

describe('--quiet', () => {
  it('drops notices and warnings from stderr but keeps results and errors', () => {
    const home = homeWithRoom();
    writeFileSync(join(home, 'rooms', 'team', 'bad.md'), '---\nkey: [unclosed\n---\nbody\n');
    const loud = cli(['memory', 'get', 'bad'], { home, env: offline });
    expect(loud.code).toBe(0);
    expect(loud.stderr).toMatch(/bad\.md/);
    const quiet = cli(['memory', 'get', 'bad', '--quiet'], { home, env: offline });
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe(loud.stdout);
    expect(quiet.stderr).toBe('');
    const globalFirst = cli(['--quiet', 'memory', 'get', 'bad'], { home, env: offline });
    expect(globalFirst.stderr).toBe('');
    const missing = cli(['memory', 'get', 'nope', '--quiet'], { home, env: offline });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mycelium: no memory 'nope'/);
  });

  it('a search prints its no-model notice once per process, and not at all with --quiet', () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'a', 'alpha beta'], { home });
    const loud = cli(['memory', 'search', 'alpha'], { home, env: offline });
    expect(loud.code, loud.stderr).toBe(0);
    const lines = loud.stderr.split('\n').filter(Boolean);
    expect(new Set(lines).size).toBe(lines.length);
    const quiet = cli(['memory', 'search', 'alpha', '--quiet'], { home, env: offline });
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe(loud.stdout);
    expect(quiet.stderr).toBe('');
  });
});
