import { describe, expect, it } from 'vitest';
import { InvalidKeyError } from '../src/errors.js';
import { isValidKey, memoryPath, normalizeKey, validateRoomName } from '../src/keys.js';

describe('keys', () => {
  it('accepts the documented grammar and strips a trailing .md', () => {
    expect(normalizeKey('decisions/db')).toBe('decisions/db');
    expect(normalizeKey('decisions/db.md')).toBe('decisions/db');
    expect(normalizeKey('a1/B_2/c-3.v2')).toBe('a1/B_2/c-3.v2');
    const long = `${'x'.repeat(200)}/${'y'.repeat(200)}/${'z'.repeat(110)}`;
    expect(normalizeKey(long)).toBe(long);
  });

  it.each([
    ['', /empty/],
    ['../x', /segment '\.\.'/],
    ['a/../../x', /segment '\.\.'/],
    ['/etc/passwd', /leading '\/'/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['.git/config', /segment '\.git'/],
    ['a/.hidden', /segment '\.hidden'/],
    ['./a', /segment '\.'/],
    ['a\0b', /\\x00/],
    ['has space ', /segment 'has space '/],
    ['x'.repeat(513), /513 characters, the limit is 512/],
    ['x'.repeat(300), /a segment is 300 bytes, the limit is 200/],
    [`a/${'x'.repeat(201)}`, /a segment is 201 bytes, the limit is 200/],
    ['notes.md.md', /must not end in '\.md'/],
    ['a|b', /holds '\|'/],
  ])('refuses %j', (key, message) => {
    expect(() => normalizeKey(key)).toThrow(InvalidKeyError);
    expect(() => normalizeKey(key)).toThrow(message);
  });

  it('maps keys to files inside the room', () => {
    expect(memoryPath('/r', 'decisions/db')).toBe('/r/decisions/db.md');
  });

  it('room names are one segment', () => {
    expect(validateRoomName('team-1')).toBe('team-1');
    expect(() => validateRoomName('a/b')).toThrow(/no '\/'/);
    expect(() => validateRoomName('..')).toThrow(InvalidKeyError);
    expect(() => validateRoomName('.git')).toThrow(InvalidKeyError);
  });

  it('isValidKey agrees with normalizeKey on canonical keys', () => {
    const samples = ['a', 'decisions/db', 'db.conflict-ana-1a2b3c4', 'a.md', 'a.md.md', 'a/.b', '.a', 'a//b', '/a', 'a/', '..', 'a/../b',
      'a\u0000b', 'a b', 'x'.repeat(512), 'x'.repeat(200), 'x'.repeat(201), `a/${'x'.repeat(200)}`, 'x'.repeat(513), 'ÿ', 'a/b.md', 'A_9-x.y', ''];
    for (const key of samples) {
      let canonical = false;
      try {
        canonical = normalizeKey(key) === key;
      } catch {
        canonical = false;
      }
      expect([key, isValidKey(key)]).toEqual([key, canonical]);
    }
  });
});
