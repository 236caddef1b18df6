import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, tempDir } from './helpers.js';

/** The one shape of an error under --json: {"error": {"code", "message", "fix", "exit"}} on stdout. */
function jsonError(stdout: string): { code: string; message: string; fix: string | null; exit: number } {
  const parsed = JSON.parse(stdout);
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(Object.keys(parsed.error).slice(0, 4)).toEqual(['code', 'message', 'fix', 'exit']);
  return parsed.error;
}

describe('--json errors', () => {
  it('a library error is one JSON object on stdout, the one line still on stderr, the exit code unchanged', () => {
    const home = homeWithRoom();
    const missing = cli(['memory', 'get', 'no/such', '--json'], { home });
    expect(missing.code).toBe(1);
    const error = jsonError(missing.stdout);
    expect(error).toMatchObject({ code: 'memory_not_found', exit: 1 });
    expect(missing.stderr).toMatch(/^mycelium: no memory 'no\/such'/);

    const badKey = cli(['memory', 'set', '../x', 'v', '--json'], { home });
    expect(badKey.code).toBe(2);
    expect(jsonError(badKey.stdout)).toMatchObject({ code: 'invalid_key', exit: 2 });

    const noRoom = cli(['memory', 'ls', '--json', '--room', 'nope'], { home });
    expect(noRoom.code).toBe(1);
    const room = jsonError(noRoom.stdout);
    expect(room.code).toBe('room_not_found');
    expect(room.fix).toMatch(/create it with/);
  });

  it('the fix is the part of the message after its last "; " (what went wrong; what to do)', () => {
    const home = homeWithRoom();
    const conflict = cli(['memory', 'set', 'a', 'v', '--if-version', '3', '--json'], { home });
    expect(conflict.code).toBe(3);
    const error = jsonError(conflict.stdout);
    expect(error.exit).toBe(3);
    expect(error.message.endsWith(error.fix ?? '\u0000')).toBe(true);
  });

  it('usage errors (unknown option, missing argument, a bad choice) are JSON too, exit 2', () => {
    const home = homeWithRoom();
    for (const args of [
      ['memory', 'get', '--json', '--bogus'],
      ['memory', 'get', '--json'],
      ['memory', 'search', 'x', '--mode', 'nope', '--json'],
      ['room', 'use', '--json'],
    ]) {
      const result = cli(args, { home });
      expect(result.code, args.join(' ')).toBe(2);
      const error = jsonError(result.stdout);
      expect(error).toMatchObject({ code: 'usage', exit: 2 });
      expect(error.fix).toMatch(/mycelium --help/);
    }
  });

  it('without --json an error prints nothing on stdout', () => {
    const home = homeWithRoom();
    const result = cli(['memory', 'get', 'no/such'], { home });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const usage = cli(['memory', 'get', '--bogus'], { home });
    expect(usage.stdout).toBe('');
  });

  it('errors of every command group come out in the same shape', () => {
    const home = homeWithRoom();
    for (const [args, code] of [
      [['room', 'rm', 'nope', '--json'], 'room_not_found'],
      [['room', 'create', 'team', '--json'], 'room_exists'],
      [['plan', 'task', 'done', 't-zzzz', '--json'], 'task_not_found'],
      [['release', 'c-000000', '--json'], 'claim_not_found'],
      [['agent', 'card', 'ghost', '--json'], 'agent_not_found'],
      [['negotiate', 'status', '--json'], 'no_session'],
      [['serve', '--port', '99999', '--json'], 'invalid_input'],
      [['sync', '--json', '--room', 'nope'], 'room_not_found'],
    ] as [string[], string][]) {
      const result = cli(args, { home });
      expect(result.code, args.join(' ') + result.stderr).toBeGreaterThan(0);
      expect(jsonError(result.stdout).code, args.join(' ')).toBe(code);
    }
  });

  it('demo --json prints its steps and whether it passed as one JSON object', () => {
    const home = tempDir();
    const result = cli(['demo', '--json'], { home });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.passed).toBe(true);
    expect(report.steps.length).toBeGreaterThan(8);
    expect(report.steps[0]).toEqual({ command: 'mycelium room create demo', result: expect.stringMatching(/room at/) });
  }, 60_000);

  it('sync --all --json reports a failure of its only shared room in JSON (exit 4), not nothing', () => {
    const home = homeWithRoom();
    const bare = join(tempDir(), 'gone.git');
    mkdirSync(bare);
    execFileSync('git', ['init', '--bare', '-q', bare]);
    expect(cli(['room', 'remote', 'team', bare], { home }).code).toBe(0);
    writeFileSync(join(bare, 'HEAD'), 'garbage'); // the remote is no repository any more
    const result = cli(['sync', '--all', '--json'], { home });
    expect(result.code, result.stderr).toBe(4);
    const report = JSON.parse(result.stdout);
    expect(report.rooms).toEqual([]);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatchObject({ room: 'team', code: expect.any(String), error: expect.any(String) });
  }, 60_000);
});
