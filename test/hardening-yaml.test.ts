import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMemoryFile } from '../src/codec.js';
import { cliAsync, homeWithRoom, startServe } from './helpers.js';

/** "Billion laughs": nine levels of nine aliases each, ~450 bytes that stand for 9^9 strings. */
function aliasBomb(field: string): string {
  const lines = ['---', 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= 8; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]`);
  lines.push(`${field}: *a8`, '---', 'the body', '');
  return lines.join('\n');
}

describe('frontmatter that would explode is read as text with a warning', () => {
  it('refuses aliased lists and mappings, cycles, deep nesting and oversize frontmatter; keeps plain YAML and scalar aliases', () => {
    for (const text of [aliasBomb('tags'), aliasBomb('extra'), '---\na: &x {b: 1}\nc: *x\n---\nv\n', '---\na: &x [*x]\n---\nv\n',
      `---\ndeep: ${'['.repeat(40)}${']'.repeat(40)}\n---\nv\n`, `---\nbig: "${'x'.repeat(70 * 1024)}"\n---\nv\n`]) {
      const parsed = parseMemoryFile(text);
      expect(parsed.hasFrontmatter).toBe(false);
      expect(parsed.body).toBe(text);
      expect(parsed.problem?.reason).toMatch(/alias|deeper than 32|over 65536 bytes/);
    }
    const fine = parseMemoryFile('---\nname: &n ana\nalso: *n\ntags: [a, b]\nnested: {x: [1, {y: 2}]}\n---\nv\n');
    expect(fine.problem).toBeUndefined();
    expect(fine.meta).toEqual({ name: 'ana', also: 'ana', tags: ['a', 'b'], nested: { x: [1, { y: 2 }] } });
  });

  it('get, ls and set of a bombed file finish with one warning, and set replaces it with a clean file', async () => {
    const home = homeWithRoom();
    const file = join(home, 'rooms', 'team', 'bomb.md');
    const bomb = aliasBomb('tags');
    writeFileSync(file, bomb);
    const get = await cliAsync(['memory', 'get', 'bomb', '--room', 'team'], { home });
    expect(get.code).toBe(0);
    expect(get.stdout).toContain('*a8');
    expect(get.stderr).toMatch(/bomb\.md:2: broken frontmatter \(frontmatter repeats a list or mapping through a YAML alias/);
    const ls = await cliAsync(['memory', 'ls', '--room', 'team'], { home });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^bomb /m);
    const set = await cliAsync(['memory', 'set', 'bomb', 'defused', '--room', 'team'], { home });
    expect(set.code).toBe(0);
    const after = parseMemoryFile(readFileSync(file, 'utf8'));
    expect(after.problem).toBeUndefined();
    expect(after.body).toBe('defused');
  }, 60_000);

  it('a bomb PUT as a whole file does not take the server down', async () => {
    const home = homeWithRoom();
    const server = await startServe(home);
    const put = await fetch(`${server.url}/rooms/team/memory/bomb`, { method: 'PUT', headers: { 'Content-Type': 'text/markdown' }, body: aliasBomb('tags') });
    expect(put.status).toBeLessThan(500);
    const json = await fetch(`${server.url}/rooms/team/memory/bomb`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ value: 'v', tags: ['a'] }) });
    expect(json.status).toBeLessThan(300);
    const read = await fetch(`${server.url}/rooms/team/memory/bomb`);
    expect(read.status).toBe(200);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const list = await fetch(`${server.url}/rooms/team/memory`);
    expect(list.status).toBe(200);
  }, 60_000);
});
