import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMemoryFile } from '../src/codec.js';
import { cli, cliPath, homeWithRoom, isolatedEnv } from './helpers.js';

/** Runs the CLI and closes its stdout after the first chunk, as `| head -1` does. */
function readFirstChunkThenClose(args: string[], home: string): Promise<{ code: number | null; stderr: string; first: string }> {
  return new Promise((resolve) => {
    const env = isolatedEnv(home);
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: home, env });
    let stderr = '';
    let first = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', (d) => {
      first = String(d);
      child.stdout.destroy();
    });
    child.on('exit', (code) => resolve({ code, stderr, first }));
  });
}

describe('a closed stdout ends a command quietly', () => {
  it('memory ls and search piped into a reader that stops early exit 0 without a stack trace', async () => {
    const home = homeWithRoom();
    const room = join(home, 'rooms', 'team');
    mkdirSync(join(room, 'notes'));
    // Far more output than a pipe buffer holds, so the CLI is still writing when the reader goes.
    for (let i = 0; i < 3000; i++) writeFileSync(join(room, 'notes', `n${i}.md`), `note ${i} about the database ${'x'.repeat(60)}\n`);
    for (const args of [['memory', 'ls', '--room', 'team', '--limit', '5000'], ['memory', 'ls', '--room', 'team', '--limit', '5000', '--json'], ['memory', 'search', 'database', '--room', 'team', '--limit', '1000', '--mode', 'bm25']]) {
      const run = await readFirstChunkThenClose(args, home);
      expect([args.join(' '), run.code]).toEqual([args.join(' '), 0]);
      expect(run.first.length).toBeGreaterThan(0);
      expect(run.stderr).not.toMatch(/EPIPE|at .*\(node:/);
    }
  }, 120_000);
});

describe('values that start with a dash', () => {
  it('are taken as values when they cannot be options, also as option values; option-shaped ones say to use --', () => {
    const home = homeWithRoom();
    for (const [key, value] of [['work/todo', '- fix login'], ['work/n', '-5'], ['work/arrow', '-> next step']]) {
      const set = cli(['memory', 'set', key, value, '--room', 'team', '--tags', '-a,b'], { home });
      expect([value, set.code, set.stderr]).toEqual([value, 0, '']);
      const get = cli(['memory', 'get', key, '--room', 'team', '--json'], { home });
      expect(JSON.parse(get.stdout)).toMatchObject({ value, tags: ['-a', 'b'] });
    }
    const shaped = cli(['memory', 'set', 'work/x', '-x', '--room', 'team'], { home });
    expect(shaped.code).toBe(2);
    expect(shaped.stderr).toMatch(/unknown option '-x'; if it is a value, put '--' before it/);
    const dashed = cli(['memory', 'set', '--room', 'team', 'work/x', '--', '-x'], { home });
    expect(dashed.code).toBe(0);
    expect(cli(['memory', 'get', 'work/x', '--room', 'team'], { home }).stdout).toBe('-x');
  });
});

describe('an empty value from a pipe or file', () => {
  it('is refused unless --allow-empty, and the memory keeps its value', () => {
    const home = homeWithRoom();
    expect(cli(['memory', 'set', 'm', 'keep me', '--room', 'team'], { home }).code).toBe(0);
    const piped = cli(['memory', 'set', 'm', '-', '--room', 'team'], { home, input: '' });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toMatch(/standard input is empty; nothing was written \(pass --allow-empty/);
    const empty = join(home, 'empty.txt');
    writeFileSync(empty, '');
    const file = cli(['memory', 'set', 'm', '--file', empty, '--room', 'team'], { home });
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(/--file .*empty\.txt is empty/);
    const path = join(home, 'rooms', 'team', 'm.md');
    expect(parseMemoryFile(readFileSync(path, 'utf8')).body).toBe('keep me');
    expect(cli(['memory', 'set', 'm', '-', '--allow-empty', '--room', 'team'], { home, input: '' }).code).toBe(0);
    expect(parseMemoryFile(readFileSync(path, 'utf8')).body).toBe('');
  });
});

describe('settings from the environment', () => {
  it('a MYCELIUM_MAX_VALUE_BYTES that is not a whole number is exit 2 naming it, and nothing is written', () => {
    const home = homeWithRoom();
    for (const setting of ['abc', '-1', '1.5', '0']) {
      const set = cli(['memory', 'set', 'v', 'value', '--room', 'team'], { home, env: { MYCELIUM_MAX_VALUE_BYTES: setting } });
      expect([setting, set.code]).toEqual([setting, 2]);
      expect(set.stderr).toMatch(/MYCELIUM_MAX_VALUE_BYTES must be a whole number of bytes above 0/);
    }
    expect(cli(['memory', 'get', 'v', '--room', 'team'], { home }).code).toBe(1);
    expect(cli(['memory', 'set', 'v', 'value', '--room', 'team'], { home, env: { MYCELIUM_MAX_VALUE_BYTES: '100' } }).code).toBe(0);
  });
});

describe('--json', () => {
  it('memory search --json names the room it searched', () => {
    const home = homeWithRoom();
    expect(cli(['memory', 'set', 'db', 'use postgres', '--room', 'team'], { home }).code).toBe(0);
    const search = cli(['memory', 'search', 'postgres', '--room', 'team', '--mode', 'bm25', '--json'], { home });
    expect(search.code).toBe(0);
    expect(JSON.parse(search.stdout)).toMatchObject({ room: 'team', results: [expect.objectContaining({ key: 'db' })] });
  });
});
