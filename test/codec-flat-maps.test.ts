import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { flatYaml, parseMemoryFile, serializeMemoryFile } from '../src/codec.js';

const full = (text: string) => yaml.load(text, { schema: yaml.CORE_SCHEMA });
const dump = (meta: Record<string, unknown>) => yaml.dump(meta, { schema: yaml.CORE_SCHEMA, flowLevel: 1, lineWidth: -1, noRefs: true });

// The plan's header keeps two maps (task id → claim time, handle → last write): read and written
// without js-yaml, and only where the answer is exactly js-yaml's.
describe("the codec's fast path for flat maps ({key: value}, as the plan's header holds them)", () => {
  it("reads and writes the plan's header maps exactly as js-yaml does", () => {
    const meta = { key: 'plan/tasks', version: 3, tags: [], claimed_at: { 't-7k2f': '2026-12-04T13:27:58.099Z', 't-0b1d9': '2026-12-04T13:30:00.000Z' }, seen: { bob: '2026-12-04T13:27:58.099Z', 'agent-3': '2026-12-04T13:28:00.000Z' }, empty: {} };
    const text = serializeMemoryFile(meta, '# Plan\n');
    expect(text).toBe(`---\n${dump(meta)}---\n# Plan\n`);
    const head = text.slice(4, text.indexOf('\n---\n') + 1);
    expect(flatYaml(head)).toEqual(meta); // taken, not stepped aside
    expect(flatYaml(head)).toEqual(full(head));
    expect(parseMemoryFile(text).meta).toEqual(meta);
  });

  it('steps aside for maps js-yaml would read differently or reject', () => {
    const outside = [
      'a: {k: a:}\n', 'a: {k:v}\n', 'a: {k: v,k2: w}\n', 'a: {k: v, k: w}\n', 'a: {__proto__: x}\n', 'a: {1: x}\n', 'a: {k: }\n',
      'a: { k: v }\n', 'a: {k: v, }\n', 'a: {k: v}x\n', 'a: {-x: y}\n', 'a: {k: [x]}\n', 'a: {k: true}\n', 'a: {k: 1.5}\n', "a: {k: 'q'}\n",
      'a: {k: {j: v}}\n', 'a: {k: v\n', 'a: {,}\n', 'a: {k}\n', 'a: {k: two words}\n', 'a: {007: x}\n',
    ];
    for (const text of outside) expect(flatYaml(text), JSON.stringify(text)).toBeUndefined();
    for (const text of ['a: {}\n', 'a: {k: a:b}\n', 'a: {k: 1}\n', 'a: {k: x/y, b_c: v+1}\n', 'a: {9abc: x, constructor: y}\n']) {
      expect(flatYaml(text), text).toBeDefined();
      expect(flatYaml(text), text).toEqual(full(text));
    }
    // Through parseMemoryFile the ones stepped aside still mean what js-yaml says, rejections included.
    expect(parseMemoryFile('---\na: {k: v, k: w}\n---\n').problem).toBeDefined();
    expect(parseMemoryFile('---\na: {k: true}\n---\n').meta).toEqual({ a: { k: true } });
  });

  it('agrees with js-yaml on generated maps, wherever it answers', () => {
    const pieces = ['x', 'ana', 'agent-3', 't-7k2f', '2026-01-01', '2026-01-01T00:00:00.000Z', '0', '7', '007', '1e3', '1.0', 'True', 'null', 'a:b', 'a_b', 'x/y', 'v+1', '9abc', '0x1f', '0b1a', '__proto__'];
    let seed = 11;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let answered = 0;
    for (let i = 0; i < 2000; i++) {
      const entries = Array.from({ length: next(4) }, () => `${pieces[next(pieces.length)]}: ${pieces[next(pieces.length)]}`);
      const text = `m: {${entries.join(', ')}}\n`;
      let expected: unknown;
      try {
        expected = full(text);
      } catch {
        expect(flatYaml(text), text).toBeUndefined();
        continue;
      }
      const fast = flatYaml(text);
      if (fast === undefined) continue;
      answered++;
      expect(fast, text).toEqual(expected);
    }
    expect(answered).toBeGreaterThan(200);
  });

  it('writes maps byte for byte as js-yaml dumps them, and steps aside for the rest', () => {
    const values: unknown[] = [{}, { a: 'x' }, { 't-7k2f': '2026-01-01T00:00:00.000Z', bob: 'a:b' }, { a: 7 }, { a: '7' }, { a: 'true' }, { '1': 'x' }, { a: 'has space' }, { a: -1 }, { a: 1.5 }, { a: null }, { a: [] }, { a: { b: 'c' } }, { 'has space': 'x' }, { a: '' }];
    for (const value of values) {
      const meta = { key: 'a/b', version: 1, tags: [], extra_field: value };
      const text = serializeMemoryFile(meta, 'body');
      expect(text, JSON.stringify(value)).toBe(`---\n${dump(meta)}---\nbody`);
      expect(parseMemoryFile(text).meta, JSON.stringify(value)).toEqual(full(dump(meta)));
    }
  });
});
