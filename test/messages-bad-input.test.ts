import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, snapshot } from './helpers.js';

describe('room send: bad input (CLI), each a one-line error, a stable exit code, nothing written', () => {
  it('empty, over 64 KiB, bad handles, an unknown --re, an unknown room, a bad --kind', () => {
    const home = homeWithRoom();
    const before = snapshot(`${home}/rooms`);
    const send = (args: string[], input?: string) => cli(['room', 'send', '--room', 'team', ...args], { home, input });
    const cases: [string, ReturnType<typeof send>, number, RegExp][] = [
      ['empty', send(['--handle', 'ana', '   ']), 2, /empty message/],
      ['empty stdin', send(['--handle', 'ana', '-'], ''), 2, /empty message/],
      ['over 64 KiB', send(['--handle', 'ana', '-'], 'x'.repeat(64 * 1024 + 1)), 2, /over the 65536-byte limit/],
      ['a path handle', send(['--handle', '../x', 'hi']), 2, /invalid handle/],
      ['a slash handle', send(['--handle', 'a/b', 'hi']), 2, /invalid handle/],
      ['a bad --to', send(['--handle', 'ana', '--to', 'bob,a/b', 'hi']), 2, /invalid handle/],
      ['an unknown --re', send(['--handle', 'ana', '--re', '2020-01-01T000000.000Z-zz-abcd', 'hi']), 1, /no message '2020-01-01T000000.000Z-zz-abcd'/],
      ['a malformed --re', send(['--handle', 'ana', '--re', '../../etc', 'hi']), 2, /./],
      ['a bad --kind', send(['--handle', 'ana', '--kind', 'shout', 'hi']), 2, /kind/],
      ['an unknown room', cli(['room', 'send', '--room', 'nope', '--handle', 'ana', 'hi'], { home }), 1, /room/],
    ];
    for (const [name, result, code, message] of cases) {
      expect(result.code, `${name}: ${result.stderr}`).toBe(code);
      const lines = result.stderr.trim().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(message);
    }
    expect(snapshot(`${home}/rooms`)).toEqual(before);
  });

  it('an empty handle and one with a NUL are refused with exit 2', () => {
    const home = homeWithRoom();
    const before = snapshot(`${home}/rooms`);
    expect(cli(['room', 'send', '--room', 'team', '--handle', '', 'hi'], { home }).code).toBe(2);
    expect(cli(['inbox', '--room', 'team', '--handle', 'a\u0001b'], { home }).code).toBe(2);
    expect(snapshot(`${home}/rooms`)).toEqual(before);
  });
});
