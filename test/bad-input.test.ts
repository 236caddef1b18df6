import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, snapshot, tempDir } from './helpers.js';

/** A home inside a parent folder, so a test can prove nothing appeared outside the room either. */
function sandbox() {
  const parent = tempDir();
  const home = join(parent, 'home');
  mkdirSync(home);
  cli(['room', 'create', 'team'], { home });
  cli(['memory', 'set', 'existing/one', 'keep me'], { home });
  return { parent, home, before: snapshot(parent) };
}

describe('bad input gets a clear error, a stable exit code, and changes nothing', () => {
  it.each([
    ['../x', "segment '..'"],
    ['a/../../x', "segment '..'"],
    ['/etc/passwd', "drop the leading '/'"],
    ['a//b', 'empty segment'],
    ['.git/config', "segment '.git'"],
    ['existing/one/../../../x', "segment '..'"],
    ['x'.repeat(513), '513 characters, the limit is 512'],
  ].map(([key, message]) => [key.length > 40 ? `${key.slice(0, 10)}… (${key.length} chars)` : key, key, message]),
  )('memory set/get/rm of a bad key is refused: %s', (_label, key, message) => {
    const { parent, home, before } = sandbox();
    const result = cli(['memory', 'set', key, 'evil'], { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshot(parent)).toEqual(before);
    for (const verb of ['get', 'rm']) {
      const other = cli(['memory', verb, key], { home });
      expect(other.code).toBe(2);
    }
    expect(snapshot(parent)).toEqual(before);
  });

  it('a key with a NUL byte is refused (library: argv cannot carry NUL)', async () => {
    const { parent, home, before } = sandbox();
    const { Room } = await import('../src/room.js');
    const room = await Room.open(home, 'team');
    await expect(room.set('a\0b', 'v', { handle: 't' })).rejects.toMatchObject({ exitCode: 2, code: 'invalid_key' });
    await expect(room.get('a\0/../../x')).rejects.toThrow(/\\x00/);
    expect(snapshot(parent)).toEqual(before);
  });

  it('an unknown room lists the rooms there are', () => {
    const { parent, home, before } = sandbox();
    const result = cli(['memory', 'set', 'k', 'v', '--room', 'nope'], { home });
    expect([result.code, result.stderr]).toEqual([
      1,
      "mycelium: unknown room 'nope' (rooms: team); create it with `mycelium room create nope`\n",
    ]);
    expect(cli(['memory', 'ls', '--room', '../team'], { home }).code).toBe(2);
    expect(snapshot(parent)).toEqual(before);
  });

  it('no room selected says how to choose one', () => {
    const home = tempDir();
    const result = cli(['memory', 'ls'], { home });
    expect([result.code, result.stderr]).toEqual([
      2,
      'mycelium: no room selected; pass --room NAME, set MYCELIUM_ROOM, or run `mycelium room use NAME`\n',
    ]);
  });

  it('values over the limit are refused (MYCELIUM_MAX_VALUE_BYTES and the 1 MiB default)', () => {
    const { parent, home, before } = sandbox();
    const small = cli(['memory', 'set', 'existing/one', 'x'.repeat(101)], { home, env: { MYCELIUM_MAX_VALUE_BYTES: '100' } });
    expect([small.code, small.stderr]).toEqual([
      2,
      'mycelium: value is 101 bytes, over the 100-byte limit; store less or raise MYCELIUM_MAX_VALUE_BYTES\n',
    ]);
    const big = cli(['memory', 'set', 'big', '-'], { home, input: 'y'.repeat(1024 * 1024 + 1) });
    expect(big.code).toBe(2);
    expect(big.stderr).toContain('over the 1048576-byte limit');
    expect(snapshot(parent)).toEqual(before);
    expect(cli(['memory', 'set', 'ok', '-'], { home, input: 'y'.repeat(1024 * 1024) }).code).toBe(0);
  });

  it('invalid JSON with --format json is refused', () => {
    const { parent, home, before } = sandbox();
    const result = cli(['memory', 'set', 'existing/one', '{"a":', '--format', 'json'], { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mycelium: value is not valid JSON \(.*\); fix it or use --format text\n$/);
    expect(snapshot(parent)).toEqual(before);
  });

  it('--file that does not exist, or with a value too, is refused', () => {
    const { parent, home, before } = sandbox();
    const missing = cli(['memory', 'set', 'k', '--file', join(parent, 'nope.md')], { home });
    expect([missing.code, missing.stderr]).toEqual([2, `mycelium: cannot read --file ${join(parent, 'nope.md')} (ENOENT); check the path\n`]);
    expect(cli(['memory', 'set', 'k', 'v', '--file', join(parent, 'nope.md')], { home }).code).toBe(2);
    expect(cli(['memory', 'set', 'k'], { home }).stderr).toContain('missing value');
    expect(snapshot(parent)).toEqual(before);
  });

  it('bad numbers and usage errors exit 2 with one line', () => {
    const { home } = sandbox();
    for (const args of [
      ['memory', 'ls', '--limit', '0'],
      ['memory', 'ls', '--limit', 'ten'],
      ['memory', 'set', 'k', 'v', '--if-version', '-1'],
      ['memory', 'set', 'k', 'v', '--format', 'xml'],
      ['memory', 'frobnicate'],
      ['memory', 'get'],
    ]) {
      const result = cli(args, { home });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('an unwritable home is an I/O error (exit 4)', () => {
    const parent = tempDir();
    writeFileSync(join(parent, 'file'), 'not a folder');
    const result = cli(['room', 'create', 'r'], { home: join(parent, 'file', 'home'), env: {}, cwd: parent });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^mycelium: cannot create .* \(ENOTDIR\); check that the folder is writable or set MYCELIUM_HOME to one that is\n$/);
  });

  it('a write that cannot create its folder is an I/O error and leaves no file', () => {
    const { parent, home } = sandbox();
    writeFileSync(join(home, 'rooms', 'team', 'blocker'), 'a file where a folder would go');
    const before = snapshot(parent);
    const result = cli(['memory', 'set', 'blocker/x', 'v'], { home });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^mycelium: cannot write .*blocker\/x\.md \((ENOTDIR|EEXIST)\)/);
    expect(snapshot(parent)).toEqual(before);
  });

  it('a broken config.toml names the file and line', () => {
    const { home } = sandbox();
    writeFileSync(join(home, 'config.toml'), '[rooms]\nactive = \n');
    const result = cli(['memory', 'ls'], { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^mycelium: cannot parse ${join(home, 'config.toml')}:2: .*; fix or delete the file\\n$`));
  });
});
