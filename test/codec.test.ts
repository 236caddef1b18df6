import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, interpretValue, parseMemoryFile, serializeMemoryFile } from '../src/codec.js';

describe('memory file codec', () => {
  it('writes known fields in order, tags in flow style, and keeps a body byte for byte', () => {
    const body = 'line one\n\n  indented\n---\nnot frontmatter\n';
    const text = serializeMemoryFile(
      { version: 2, key: 'decisions/db', tags: ['database', 'infra'], created_at: '2026-11-21T10:00:00.000Z' },
      body,
    );
    expect(text).toBe(
      '---\nkey: decisions/db\ncreated_at: 2026-11-21T10:00:00.000Z\nversion: 2\ntags: [database, infra]\n---\n' + body,
    );
    const parsed = parseMemoryFile(text);
    expect(parsed.body).toBe(body);
    expect(parsed.meta.created_at).toBe('2026-11-21T10:00:00.000Z'); // a string, not a Date
    expect(parsed.meta.version).toBe(2);
  });

  it('keeps frontmatter keys a person added, after the known ones', () => {
    const text = serializeMemoryFile({ reviewer: 'ana', key: 'k', version: 1 }, 'b');
    expect(text).toBe('---\nkey: k\nversion: 1\nreviewer: ana\n---\nb');
  });

  it('reads a file with no frontmatter as all body', () => {
    expect(parseMemoryFile('# Title\ntext')).toEqual({ meta: {}, body: '# Title\ntext', hasFrontmatter: false });
  });

  it('reports broken YAML with its line and keeps the whole file as body', () => {
    const text = '---\nkey: k\ntags: [a, b\nversion: 1\n---\nbody';
    const parsed = parseMemoryFile(text);
    expect(parsed.hasFrontmatter).toBe(false);
    expect(parsed.body).toBe(text);
    expect(parsed.problem?.line).toBeGreaterThanOrEqual(3);
  });

  it('reports frontmatter that never closes', () => {
    expect(parseMemoryFile('---\nkey: k\nbody').problem).toEqual({
      line: 1,
      reason: "frontmatter opened with '---' is never closed",
    });
  });

  it('stores JSON pretty in a fence and reads it back deep-equal', () => {
    const value = { a: [1, { b: null }], s: 'x\ny' };
    const body = encodeBody(value, 'json');
    expect(body.startsWith('```json\n{\n  "a"')).toBe(true);
    expect(decodeBody(body, 'json')).toEqual({ value, format: 'json' });
  });

  it('chooses JSON only for objects and arrays unless asked', () => {
    expect(interpretValue('{"a":1}').format).toBe('json');
    expect(interpretValue(' [1,2] ').format).toBe('json');
    expect(interpretValue('42').format).toBe('text');
    expect(interpretValue('{not json').format).toBe('text');
    expect(interpretValue('42', 'json')).toEqual({ value: 42, format: 'json' });
    expect(interpretValue('{"a":1}', 'text')).toEqual({ value: '{"a":1}', format: 'text' });
    expect(() => interpretValue('{oops', 'json')).toThrow(/not valid JSON/);
  });
});
