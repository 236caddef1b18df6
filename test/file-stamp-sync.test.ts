import { lstatSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lstatStamp, stamp } from '../src/file-stamp-sync.js';
import { spawnSync } from 'node:child_process';
import { cli, cliPath, homeWithRoom, tempDir } from './helpers.js';

describe('lstatStamp (the stat walk\'s hot loop)', () => {
  it('answers as lstatSync does: a regular file with its mtime and size; a folder, a symlink or a missing path is none', () => {
    const dir = tempDir();
    const file = join(dir, 'a.md');
    writeFileSync(file, 'twelve bytes');
    utimesSync(file, 1_700_000_000.123, 1_700_000_000.456_789); // a fractional mtime must come out the same
    mkdirSync(join(dir, 'sub'));
    symlinkSync(file, join(dir, 'link.md'));
    expect(lstatStamp(file, dir)).toBe(true);
    expect(stamp).toEqual({ mtimeMs: lstatSync(file).mtimeMs, size: 12 });
    writeFileSync(file, 'now longer, edited in place');
    expect(lstatStamp(file, dir)).toBe(true);
    expect(stamp).toEqual({ mtimeMs: lstatSync(file).mtimeMs, size: lstatSync(file).size });
    for (const none of ['sub', 'link.md', 'missing.md']) expect(lstatStamp(join(dir, none), dir)).toBe(false);
    // A path through a file is an error, as lstatSync's is (ENOTDIR), not a silent "none".
    expect(() => lstatStamp(join(file, 'x.md'), dir)).toThrow(/ENOTDIR/);
  });

  it('prints no deprecation warning from a search, even under --pending-deprecation', () => {
    const home = homeWithRoom();
    expect(cli(['memory', 'set', 'notes/a', 'pasta wants salted water'], { home }).code).toBe(0);
    const run = spawnSync(process.execPath, ['--pending-deprecation', cliPath, 'memory', 'search', 'pasta', '--mode', 'bm25', '--room', 'team'], {
      env: { ...process.env, MYCELIUM_HOME: home, MYCELIUM_OFFLINE: '1' },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^notes\/a:\d+ /);
    expect(run.stderr).toBe('');
  });
});
