import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { flatYaml, parseMemoryFile, serializeMemoryFile } from '../src/codec.js';

const full = (text: string) => yaml.load(text, { schema: yaml.CORE_SCHEMA });

describe("the codec's fast path for flat headers (one rule: it agrees with js-yaml or steps aside)", () => {
  it('reads a message header as mycelium writes it, exactly as js-yaml does', () => {
    const meta = {
      key: 'messages/2026-01-01/000000.000Z-agent-0-0000',
      created_by: 'agent-0',
      created_at: '2026-01-01T00:00:00.000Z',
      version: 12,
      format: 'text',
      tags: ['a', 'b.c', 'x/y'],
      id: '2026-01-01T000000.000Z-agent-0-0000',
      mentions: ['agent-3', 'bob_2'],
      to: [],
      kind: 'say',
      text_sha: '29682a09d96bb880',
    };
    const text = serializeMemoryFile(meta, '@agent-3 hi\n');
    const head = text.slice(4, text.indexOf('\n---\n') + 1);
    expect(flatYaml(head)).toEqual(meta); // taken, not stepped aside
    expect(flatYaml(head)).toEqual(full(head));
    expect(parseMemoryFile(text)).toEqual({ meta, body: '@agent-3 hi\n', hasFrontmatter: true });
  });

  it('steps aside for anything js-yaml would read differently or reject', () => {
    const outside = [
      'a: true\n', 'a: False\n', 'a: null\n', 'a: NULL\n', 'a: 1.5\n', 'a: 1e5\n', 'a: 1234e567\n', 'a: 0x1f\n', 'a: 0o17\n',
      'a: 0b11\n', 'a: 0b1_0\n', 'a: 0X1\n', 'a: 0B1\n', 'a: 012\n', 'a: 1_000\n', 'a: 12345678901234567890\n', "a: 'quoted'\n", 'a: "q"\n', 'a: x # note\n',
      'a: two words\n', 'a: [x, 1.5]\n', 'a: [x,y]\n', 'a: [x: y]\n', 'a:\n', 'a: x\na: y\n', 'a: x\r\n', ' a: x\n',
      'a: x:\n', 'a: -1\n', 'a: ~\n', 'a: &anchor x\n', 'a: *ref\n', '__proto__: x\n', '# c\na: x\n', 'a: [x, true]\n',
      'a:  x\n', 'A: x\n', '',
    ];
    for (const text of outside) expect(flatYaml(text), JSON.stringify(text)).toBeUndefined();
    // Agreed, not stepped aside: a hash that starts like a binary or hex number but is not one.
    for (const text of ['constructor: x\n', 'a: {}\n', 'a: 0bb16cc773c77c2c\n', 'a: 0xg1\n', 'a: 0o9\n', 'a: [0b6a, 0]\n']) {
      expect(flatYaml(text), text).toBeDefined();
      expect(flatYaml(text), text).toEqual(full(text));
    }
    // Through parseMemoryFile those still mean what js-yaml says, rejections included.
    expect(parseMemoryFile('---\na: x\na: y\n---\nb').problem).toBeDefined();
    expect(parseMemoryFile('---\na: true\nb: 0x1f\n---\n').meta).toEqual({ a: true, b: 31 });
  });

  it('agrees with js-yaml on generated headers, wherever it answers', () => {
    const pieces = ['0b1', '0b1a', '0x1f', '0xz', '0o7', '0o8', '0B1', 'x', 'ana', 'agent-3', '2026-01-01', '2026-01-01T00:00:00.000Z', '0', '7', '42', '007', '1e3', '1.0', 'True', 'nan', '.inf', 'a:b', 'a_b', 'x/y', 'v+1', '9abc', '123e'];
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let answered = 0;
    for (let i = 0; i < 2000; i++) {
      const lines: string[] = [];
      for (let j = 0; j < 1 + next(5); j++) {
        const key = `k${next(4)}`;
        const value = next(3) === 0 ? `[${Array.from({ length: next(3) }, () => pieces[next(pieces.length)]).join(', ')}]` : pieces[next(pieces.length)];
        lines.push(`${key}: ${value}`);
      }
      const text = `${lines.join('\n')}\n`;
      const fast = flatYaml(text);
      if (fast === undefined) continue;
      answered++;
      expect(fast, text).toEqual(full(text));
    }
    expect(answered).toBeGreaterThan(200);
  });

  it('writes flat headers without js-yaml, byte for byte what js-yaml dumps, and steps aside otherwise', () => {
    const dump = (meta: Record<string, unknown>) => yaml.dump(meta, { schema: yaml.CORE_SCHEMA, flowLevel: 1, lineWidth: -1, noRefs: true });
    const values: unknown[] = ['ana', 'agent-3', '2026-01-01T00:00:00.000Z', 'x/y', 'v+1', 'a:b', '', '123', '007', 'true', 'null', '1.5', '1e3', '0x1f', 'has space', 'a, b', 'line\nnext', '#x', '-x', 0, 7, 12, -1, 1.5, 2 ** 60, true, null, [], ['a', 'b.c'], ['has space'], ['a,b'], ['1'], [1], { a: 1 }];
    for (const value of values) {
      const meta = { key: 'a/b', version: 1, tags: [], extra_field: value };
      const text = serializeMemoryFile(meta, 'body');
      expect(text, JSON.stringify(value)).toBe(`---\n${dump(meta)}---\nbody`);
      expect(parseMemoryFile(text).meta, JSON.stringify(value)).toEqual(full(dump(meta)));
    }
  });
});
