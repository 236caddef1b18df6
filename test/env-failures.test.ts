import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliPath, homeWithRoom, snapshot, isolatedEnv } from './helpers.js';

// root reads and writes anything, so when tests run as root the CLI runs as nobody over a home nobody owns.
const asRoot = process.getuid?.() === 0;

function handOver(home: string): void {
  if (!asRoot) return;
  const walk = (p: string) => {
    chownSync(p, 65534, 65534);
    if (statSync(p).isDirectory()) for (const name of readdirSync(p)) walk(join(p, name));
  };
  walk(home);
}

function chmodTree(p: string, mode: (isDir: boolean) => number): void {
  const dir = statSync(p).isDirectory();
  if (dir) for (const name of readdirSync(p)) chmodTree(join(p, name), mode);
  chmodSync(p, mode(dir));
}

function run(args: string[], home: string, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: '/',
    encoding: 'utf8',
    input: '',
    timeout: 30_000,
    env: isolatedEnv(home, { MYCELIUM_OFFLINE: '1', MYCELIUM_ROOM: '', ...env }),
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Exit 4, one line on stderr, never "unexpected error", and a fix after the last '; '. */
function expectEnvironmentError(result: { code: number; stderr: string }, fix: RegExp): void {
  expect(result.code, result.stderr).toBe(4);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/unexpected error/);
  expect(result.stderr.slice(result.stderr.lastIndexOf('; ') + 2)).toMatch(fix);
}

describe('environment failures: exit 4, one line that says what to do, nothing lost', () => {
  it('a read-only home: writes fail with the fix, reads and searches still work, no file changes', () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'a', 'alpha words'], { home });
    handOver(home);
    chmodTree(home, (dir) => (dir ? 0o555 : 0o444));
    const before = snapshot(home);
    try {
      expectEnvironmentError(run(['memory', 'set', 'b', 'v', '--room', 'team'], home), /writable|MYCELIUM_HOME/);
      expectEnvironmentError(run(['memory', 'set', 'a', 'v2', '--room', 'team'], home), /writable|MYCELIUM_HOME/);
      expectEnvironmentError(run(['room', 'create', 'other'], home), /writable|MYCELIUM_HOME/);
      const json = run(['memory', 'rm', 'a', '--room', 'team', '--json'], home);
      expect(JSON.parse(json.stdout).error).toMatchObject({ exit: 4, fix: expect.stringMatching(/MYCELIUM_HOME/) });
      const got = run(['memory', 'get', 'a', '--room', 'team'], home);
      expect([got.code, got.stdout]).toEqual([0, 'alpha words']);
      const search = run(['memory', 'search', 'alpha', '--room', 'team', '--json'], home);
      expect(search.code, search.stderr).toBe(0);
      expect(JSON.parse(search.stdout).results.map((r: { key: string }) => r.key)).toEqual(['a']);
      expect(search.stderr).toMatch(/not saved/);
      expect(snapshot(home)).toEqual(before);
    } finally {
      chmodTree(home, (dir) => (dir ? 0o755 : 0o644));
    }
  });

  it.each(['/proc/x', '/proc/self/mycelium', '/sys/x'])('a home under a virtual file system (%s) is refused at once, never spun on', (home) => {
    for (const args of [['room', 'create', 'x'], ['memory', 'ls', '--room', 'x'], ['memory', 'set', 'k', 'v', '--room', 'x']]) {
      const result = cli(args, { home, cwd: '/' });
      expectEnvironmentError(result, /set MYCELIUM_HOME to a folder on disk/);
      expect(result.stderr).toMatch(/virtual file system/);
    }
  });

  it('a memory file without read permission: get and set say how to fix it, ls and search keep the rest', () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'secret', 'hidden words'], { home });
    cli(['memory', 'set', 'open', 'hidden but readable'], { home });
    handOver(home);
    const file = join(home, 'rooms', 'team', 'secret.md');
    const bytes = readFileSync(file);
    chmodSync(file, 0o000);
    try {
      expectEnvironmentError(run(['memory', 'get', 'secret', '--room', 'team'], home), /chmod u\+r/);
      expectEnvironmentError(run(['memory', 'set', 'secret', 'x', '--room', 'team'], home), /chmod u\+r|writable/);
      const ls = run(['memory', 'ls', '--room', 'team', '--json'], home);
      expect(ls.code, ls.stderr).toBe(0);
      expect(JSON.parse(ls.stdout).memories.map((m: { key: string }) => m.key)).toEqual(['open']);
      expect(ls.stderr.split('\n').filter((line) => line.includes('secret.md'))).toHaveLength(1);
      const search = run(['memory', 'search', 'hidden', '--room', 'team', '--json'], home);
      expect(search.code, search.stderr).toBe(0);
      expect(JSON.parse(search.stdout).results.map((r: { key: string }) => r.key)).toEqual(['open']);
      expect(search.stderr).toMatch(/secret\.md: not searchable, cannot read .*EACCES/);
    } finally {
      chmodSync(file, 0o644);
    }
    expect(readFileSync(file)).toEqual(bytes);
  });
});
