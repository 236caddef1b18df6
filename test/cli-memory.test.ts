import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, tempDir } from './helpers.js';

const room = (home: string) => join(home, 'rooms', 'team');

describe('memory set/get', () => {
  it('round-trips text byte for byte, from an argument, stdin and --file', () => {
    const home = homeWithRoom();
    const text = 'héllo 🌱\n\n  spaced  \nno trailing newline';
    expect(cli(['memory', 'set', 'notes/a', text], { home }).code).toBe(0);
    expect(cli(['memory', 'get', 'notes/a'], { home }).stdout).toBe(text);

    expect(cli(['memory', 'set', 'notes/b', '-'], { home, input: text + '\n' }).code).toBe(0);
    expect(cli(['memory', 'get', 'notes/b'], { home }).stdout).toBe(text + '\n');

    const file = join(tempDir(), 'value.md');
    writeFileSync(file, '# From a file\n');
    expect(cli(['memory', 'set', 'notes/c', '--file', file], { home }).code).toBe(0);
    expect(cli(['memory', 'get', 'notes/c'], { home }).stdout).toBe('# From a file\n');
  });

  it('prints key, version and path, and counts versions', () => {
    const home = homeWithRoom();
    const first = cli(['memory', 'set', 'decisions/db', 'v1'], { home });
    expect(first.stdout.trim()).toBe(`decisions/db  v1  ${join(room(home), 'decisions', 'db.md')}`);
    const second = cli(['memory', 'set', 'decisions/db', 'v2', '--json'], { home });
    expect(JSON.parse(second.stdout)).toEqual({
      room: 'team',
      key: 'decisions/db',
      version: 2,
      path: join(room(home), 'decisions', 'db.md'),
    });
  });

  it('writes the documented file format', () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'decisions/db', '{"engine":"pg"}', '--tags', 'database,infra'], { home, env: { MYCELIUM_AGENT_HANDLE: 'claude-agent' } });
    const text = readFileSync(join(room(home), 'decisions', 'db.md'), 'utf8');
    expect(text).toMatch(
      /^---\nkey: decisions\/db\ncreated_by: claude-agent\ncreated_at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\nupdated_by: claude-agent\nupdated_at: \S+Z\nversion: 1\ntags: \[database, infra\]\nformat: json\n---\n```json\n\{\n  "engine": "pg"\n\}\n```\n$/,
    );
  });

  it('stores JSON objects as JSON and returns deep-equal values; --format picks explicitly', () => {
    const home = homeWithRoom();
    const value = { owner: 'ana', list: [1, 2, { x: null }], nested: { ok: true } };
    cli(['memory', 'set', 'ctx/deploy', JSON.stringify(value)], { home });
    const got = cli(['memory', 'get', 'ctx/deploy'], { home });
    expect(got.stdout).toBe(JSON.stringify(value, null, 2) + '\n');
    expect(JSON.parse(cli(['memory', 'get', 'ctx/deploy', '--json'], { home }).stdout).value).toEqual(value);

    cli(['memory', 'set', 'ctx/n', '42', '--format', 'json'], { home });
    const n = JSON.parse(cli(['memory', 'get', 'ctx/n', '--json'], { home }).stdout);
    expect([n.value, n.format]).toEqual([42, 'json']);

    cli(['memory', 'set', 'ctx/raw', '{"a": 1}', '--format', 'text'], { home });
    expect(cli(['memory', 'get', 'ctx/raw'], { home }).stdout).toBe('{"a": 1}');
  });

  it('get --json returns the whole record', () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'k', 'v', '--tags', 'a, b', '--handle', 'ana'], { home });
    const record = JSON.parse(cli(['memory', 'get', 'k', '--json'], { home }).stdout);
    expect(record).toMatchObject({
      room: 'team',
      key: 'k',
      value: 'v',
      format: 'text',
      version: 1,
      tags: ['a', 'b'],
      created_by: 'ana',
      updated_by: 'ana',
      path: join(room(home), 'k.md'),
    });
    expect(record.created_at).toBe(record.updated_at);
  });

  it('keeps tags when --tags is omitted and replaces them when given', () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'k', 'one', '--tags', 'x,y'], { home });
    cli(['memory', 'set', 'k', 'two'], { home });
    expect(JSON.parse(cli(['memory', 'get', 'k', '--json'], { home }).stdout).tags).toEqual(['x', 'y']);
    cli(['memory', 'set', 'k', 'three', '--tags', ''], { home });
    expect(JSON.parse(cli(['memory', 'get', 'k', '--json'], { home }).stdout).tags).toEqual([]);
  });

  it('keeps created_by/at and frontmatter keys a person added', () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'k', 'one', '--handle', 'ana'], { home });
    const path = join(room(home), 'k.md');
    writeFileSync(path, readFileSync(path, 'utf8').replace('---\none', 'reviewer: bo\npriority: 2\n---\none'));
    cli(['memory', 'set', 'k', 'two', '--handle', 'cy'], { home });
    const record = JSON.parse(cli(['memory', 'get', 'k', '--json'], { home }).stdout);
    expect(record).toMatchObject({ value: 'two', version: 2, created_by: 'ana', updated_by: 'cy', extra: { reviewer: 'bo', priority: 2 } });
    expect(readFileSync(path, 'utf8')).toContain('reviewer: bo\npriority: 2\n');
  });

  it('--if-version guards against lost updates', () => {
    const home = homeWithRoom();
    expect(cli(['memory', 'set', 'k', 'new', '--if-version', '0'], { home }).code).toBe(0);
    const stale = cli(['memory', 'set', 'k', 'lost', '--if-version', '0'], { home });
    expect(stale.code).toBe(3);
    expect(stale.stderr).toBe("mycelium: version conflict on 'k': expected 0, found 1; get it again and retry\n");
    expect(cli(['memory', 'get', 'k'], { home }).stdout).toBe('new');
    expect(cli(['memory', 'set', 'k', 'next', '--if-version', '1'], { home }).code).toBe(0);
  });
});

describe('memory ls and rm', () => {
  it('lists sorted keys with version, time, author and first line; prefix and limit filter', () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'work/b', '\n\nsecond\nmore', '--handle', 'ana'], { home });
    cli(['memory', 'set', 'decisions/db', 'Use PG', '--handle', 'bo'], { home });
    cli(['memory', 'set', 'work/a', '{"x":1}', '--handle', 'cy'], { home });
    const listed = JSON.parse(cli(['memory', 'ls', '--json'], { home }).stdout);
    expect(listed.memories.map((m: { key: string }) => m.key)).toEqual(['decisions/db', 'work/a', 'work/b']);
    expect(listed.memories[2]).toMatchObject({ key: 'work/b', version: 1, updated_by: 'ana', first_line: 'second' });
    expect(listed.memories[1].first_line).toBe('{"x":1}');

    const text = cli(['memory', 'ls', 'work/'], { home }).stdout.trim().split('\n');
    expect(text).toHaveLength(2);
    expect(text[0]).toMatch(/^work\/a\s+v1\s+\S+Z\s+cy\s+\{"x":1\}$/);
    expect(JSON.parse(cli(['memory', 'ls', '--prefix', 'work/', '--limit', '1', '--json'], { home }).stdout).memories).toHaveLength(1);
  });

  it('lists and reads files written by hand, with no or broken frontmatter, never rewriting them', () => {
    const home = homeWithRoom();
    mkdirSync(join(room(home), 'notes'));
    writeFileSync(join(room(home), 'notes', 'plain.md'), '# Plain\nwritten in an editor\n');
    const broken = '---\ntitle: [unclosed\n---\nbody text\n';
    writeFileSync(join(room(home), 'notes', 'broken.md'), broken);
    writeFileSync(join(room(home), 'notes', 'ignored.txt'), 'not a memory');

    const listed = cli(['memory', 'ls', '--json'], { home });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).memories.map((m: { key: string; version: number }) => [m.key, m.version])).toEqual([
      ['notes/broken', 0],
      ['notes/plain', 0],
    ]);
    expect(listed.stderr).toMatch(/warning: .*notes\/broken\.md:\d+: broken frontmatter/);

    expect(cli(['memory', 'get', 'notes/plain'], { home }).stdout).toBe('# Plain\nwritten in an editor\n');
    const got = cli(['memory', 'get', 'notes/broken.md'], { home });
    expect([got.code, got.stdout]).toEqual([0, broken]);
    expect(got.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(join(room(home), 'notes', 'broken.md'), 'utf8')).toBe(broken);

    // An explicit set takes the file over, keeping the body it is given.
    expect(cli(['memory', 'set', 'notes/plain', 'now managed'], { home }).code).toBe(0);
    expect(JSON.parse(cli(['memory', 'get', 'notes/plain', '--json'], { home }).stdout)).toMatchObject({ value: 'now managed', version: 1 });
  });

  it('rm removes the file and the folders it leaves empty, but not the room', () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'a/b/c', 'deep'], { home });
    cli(['memory', 'set', 'a/keep', 'stay'], { home });
    expect(cli(['memory', 'rm', 'a/b/c'], { home }).stdout.trim()).toBe('removed a/b/c');
    expect(existsSync(join(room(home), 'a', 'b'))).toBe(false);
    expect(existsSync(join(room(home), 'a', 'keep.md'))).toBe(true);
    cli(['memory', 'rm', 'a/keep'], { home });
    expect(existsSync(join(room(home), 'a'))).toBe(false);
    expect(existsSync(room(home))).toBe(true);
    const again = cli(['memory', 'rm', 'a/keep'], { home });
    expect([again.code, again.stderr]).toEqual([1, "mycelium: no memory 'a/keep' in room 'team'; nothing removed\n"]);
  });
});
