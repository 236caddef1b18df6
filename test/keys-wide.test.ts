import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidKeyError } from '../src/errors.js';
import { foldKey, isValidKey, normalizeKey } from '../src/keys.js';
import { cli, homeWithRoom, startServe, tempDir } from './helpers.js';

const offline = { MYCELIUM_OFFLINE: '1' };

describe('the wide key grammar', () => {
  it.each(['My Notes', 'c++', '_x', 'Décisions/plan', '日本語/メモ', '(draft) v2', 'a@b.c', 'r&d/q1, q2', "ana's list", '-dash', 'x~', 'Привет', '#tag=1%'])('accepts %j', (key) => {
    expect(normalizeKey(key)).toBe(key);
    expect(isValidKey(key)).toBe(true);
  });

  it('normalises to NFC, and a name on disk that is not NFC is no key', () => {
    const decomposed = 'De\u0301cisions/e\u0301te\u0301';
    expect(normalizeKey(decomposed)).toBe('Décisions/été');
    expect(normalizeKey(decomposed)).toBe(decomposed.normalize('NFC'));
    expect(isValidKey(decomposed)).toBe(false);
  });

  it.each([
    ['../x', /no path traversal/],
    ['a/./b', /no path traversal/],
    ['.git/config', /starts with '\.'/],
    ['a\tb', /control or broken character/],
    ['a\u2028b', /control or broken character/],
    ['a\ud800b', /control or broken character/],
    ['a\\b', /holds '\\'/],
    ['a:b', /holds ':'/],
    ['a*b', /holds '\*'/],
    ['a?b', /holds '\?'/],
    ['a"b', /holds '"'/],
    ['a<b', /holds '<'/],
    ['a>b', /holds '>'/],
    ['a|b', /holds '\|'/],
    [' lead', /starts or ends with a space/],
    ['trail /x', /starts or ends with a space/],
    ['dot./x', /ends with '\.'/],
    ['con', /reserved device name/],
    ['notes/NUL.txt', /reserved device name/],
    ['LPT1/x', /reserved device name/],
    ['x'.repeat(300), /300 bytes, the limit is 200/],
    ['é'.repeat(101), /202 bytes, the limit is 200/],
  ])('refuses %j', (key, message) => {
    expect(() => normalizeKey(key)).toThrow(InvalidKeyError);
    expect(() => normalizeKey(key)).toThrow(message);
    expect(isValidKey(key)).toBe(false);
  });

  it('folds case (and normal form) the same way for the twin rule', () => {
    expect(foldKey('Notes/Plan')).toBe(foldKey('notes/plan'));
    expect(foldKey('Straße')).toBe(foldKey('STRASSE'));
    expect(foldKey('Décisions')).toBe(foldKey('de\u0301cisions'));
    expect(foldKey('a')).not.toBe(foldKey('b'));
  });
});

describe('files people name are memories, through the CLI', () => {
  it('lists, reads, searches and writes My Notes.md, c++.md, _x.md and Décisions/plan.md', () => {
    const home = homeWithRoom();
    const dir = join(home, 'rooms', 'team');
    writeFileSync(join(dir, 'My Notes.md'), 'the notes of a person\n');
    writeFileSync(join(dir, 'c++.md'), 'templates and the zebrafish compiler\n');
    writeFileSync(join(dir, '_x.md'), 'underscore\n');
    mkdirSync(join(dir, 'Décisions'));
    writeFileSync(join(dir, 'Décisions', 'plan.md'), 'ship it\n');
    const ls = cli(['memory', 'ls', '--json'], { home, env: offline });
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout).memories.map((m: { key: string }) => m.key).sort()).toEqual(['Décisions/plan', 'My Notes', '_x', 'c++'].sort());
    expect(ls.stderr).toBe('');
    expect(cli(['memory', 'get', 'My Notes'], { home }).stdout).toBe('the notes of a person\n');
    expect(cli(['memory', 'get', 'De\u0301cisions/plan'], { home }).stdout).toBe('ship it\n');
    const found = cli(['memory', 'search', 'zebrafish', '--json'], { home, env: offline });
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout).results.map((r: { key: string }) => r.key)).toEqual(['c++']);
    const set = cli(['memory', 'set', 'Réunions/2026 (Q4)/ana & bo', 'agenda'], { home });
    expect(set.code, set.stderr).toBe(0);
    expect(readFileSync(join(dir, 'Réunions', '2026 (Q4)', 'ana & bo.md'), 'utf8')).toMatch(/^---\nkey: Réunions\/2026 \(Q4\)\/ana & bo\n/);
  });

  it('a key over the segment limit is invalid input (exit 2), not an I/O error', () => {
    const home = homeWithRoom();
    const result = cli(['memory', 'set', 'x'.repeat(300), 'v'], { home });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/300 bytes, the limit is 200/);
  });

  it('a file whose name is still no key is reported once, with the reason', () => {
    const home = homeWithRoom();
    const dir = join(home, 'rooms', 'team');
    writeFileSync(join(dir, 'trailing .md'), 'x\n');
    writeFileSync(join(dir, 'ok.md'), 'fine\n');
    const ls = cli(['memory', 'ls'], { home, env: offline });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^ok /m);
    expect(ls.stderr.match(/trailing \.md/g)).toHaveLength(1);
    expect(ls.stderr).toMatch(/starts or ends with a space/);
  });
});

describe('keys that differ only in case', () => {
  it('a new key whose twin in another case exists is a conflict (exit 3) and writes nothing', () => {
    const home = homeWithRoom();
    const dir = join(home, 'rooms', 'team');
    expect(cli(['memory', 'set', 'notes/Plan', 'one'], { home }).code).toBe(0);
    const file = cli(['memory', 'set', 'notes/plan', 'two'], { home });
    expect(file.code).toBe(3);
    expect(file.stderr).toMatch(/'notes\/plan' differs only in case from 'notes\/Plan' in room 'team'; use 'notes\/Plan'/);
    const folder = cli(['memory', 'set', 'Notes/other', 'three', '--json'], { home });
    expect(folder.code).toBe(3);
    expect(JSON.parse(folder.stdout).error).toMatchObject({ code: 'conflict', exit: 3 });
    expect(folder.stderr).toMatch(/differs only in case from 'notes\/'/);
    expect(existsSync(join(dir, 'notes', 'plan.md'))).toBe(false);
    expect(existsSync(join(dir, 'Notes'))).toBe(false);
    // The key as it is spelled keeps working.
    expect(cli(['memory', 'set', 'notes/Plan', 'again'], { home }).code).toBe(0);
    expect(cli(['memory', 'get', 'notes/Plan'], { home }).stdout).toBe('again');
  });

  it('the same rule holds over HTTP, where wide keys travel percent-encoded', async () => {
    const home = homeWithRoom();
    const server = await startServe(home);
    try {
      const url = (key: string) => `${server.url}/rooms/team/memory/${key.split('/').map(encodeURIComponent).join('/')}`;
      const json = { 'content-type': 'application/json' };
      const put = await fetch(url('Décisions/My Plan (v2)'), { method: 'PUT', headers: json, body: JSON.stringify({ value: 'ship' }) });
      expect(put.status, await put.clone().text()).toBeLessThan(300);
      const got = await fetch(url('Décisions/My Plan (v2)'));
      expect(got.status).toBe(200);
      expect(JSON.stringify(await got.json())).toContain('"key":"Décisions/My Plan (v2)"');
      const twin = await fetch(url('décisions/x'), { method: 'PUT', headers: json, body: JSON.stringify({ value: 'no' }) });
      expect(twin.status).toBe(409);
      const bad = await fetch(url('a:b'), { method: 'PUT', headers: json, body: JSON.stringify({ value: 'no' }) });
      expect(bad.status).toBe(400);
    } finally {
      await server.stop();
    }
  });
});

describe('wide keys through git sync', () => {
  it('a clone receives and sends keys with spaces and accents', () => {
    const bare = join(tempDir(), 'remote.git');
    execFileSync('git', ['init', '--bare', '-q', bare]);
    const ana = homeWithRoom();
    expect(cli(['memory', 'set', 'My Notes', 'from ana'], { home: ana }).code).toBe(0);
    expect(cli(['memory', 'set', 'Décisions/plan (v1)', 'plan'], { home: ana }).code).toBe(0);
    const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
    expect(cli(['room', 'remote', 'team', bare], { home: ana, env }).code).toBe(0);
    expect(cli(['memory', 'set', 'Réunions/ana & bo', 'agenda'], { home: ana }).code).toBe(0);
    const pushed = cli(['sync', '--json'], { home: ana, env });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout).committed).toEqual(['Réunions/ana & bo']);
    const bo = tempDir();
    expect(cli(['room', 'clone', bare, 'team'], { home: bo, env }).code).toBe(0);
    expect(cli(['memory', 'get', 'Décisions/plan (v1)', '--room', 'team'], { home: bo }).stdout).toBe('plan');
    expect(cli(['memory', 'set', 'My Notes', 'from bo', '--room', 'team'], { home: bo }).code).toBe(0);
    expect(cli(['sync', '--room', 'team'], { home: bo, env }).code).toBe(0);
    const pulled = cli(['sync', '--json'], { home: ana, env });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(JSON.parse(pulled.stdout).incoming).toEqual([{ type: 'updated', key: 'My Notes' }]);
    expect(cli(['memory', 'get', 'My Notes'], { home: ana }).stdout).toBe('from bo');
  }, 60_000);
});
