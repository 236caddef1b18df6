import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, tempDir } from './helpers.js';

const fullParser = join(import.meta.dirname, 'workers', 'full-parser.mjs');

/** The same command line through the whole commander program (no fast path). */
function full(args: string[], home: string) {
  const r = spawnSync(process.execPath, [fullParser, ...args], { env: { ...process.env, MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'ana' }, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const fast = (args: string[], home: string) => cli(args, { home, env: { MYCELIUM_AGENT_HANDLE: 'ana' } });

describe('hot verbs', () => {
  it('answer exactly as the full parser: output, errors, --json, help and exit codes', () => {
    // The same sequence in two homes (writes change state): the fast path in one, the full parser in the other.
    const home = homeWithRoom();
    const other = homeWithRoom();
    const lines: string[][] = [
      ['memory', 'get', 'a/b'], ['memory', 'get', 'a/b', '--json'], ['memory', 'get'], ['memory', 'get', 'a', 'b'],
      ['memory', 'get', '--help'], ['memory', 'get', '-h'], ['memory', 'get', 'a/b', '--bogus'], ['memory', 'get', 'a/b', '--json=1'],
      ['memory', 'set', 'k/x', '--format=bad', 'v'], ['memory', 'set', 'k/x', '--format', 'bad', 'v', '--json'], ['memory', 'set', 'k/x'],
      ['memory', 'set', 'k/x', '--tags'], ['memory', 'set', 'k/x', '--if-version', 'x', 'v'], ['memory', 'set', '--', 'k/x', '-x'],
      ['memory', 'ls', '--limit', '0'], ['memory', 'ls', 'a', '--prefix', 'b', '--json'], ['memory', 'ls', 'nope/', '--room', 'none'],
      ['digest', '--max-chars', '5'], ['digest', '--max-chars', '5', '--json'], ['digest', 'extra'], ['digest', '--help'], ['hook'],
    ];
    for (const args of lines) {
      const a = fast(args, home);
      const b = full(args, other);
      const same = (r: typeof a, h: string) => ({ args, code: r.code, stdout: r.stdout.replaceAll(h, 'HOME'), stderr: r.stderr.replaceAll(h, 'HOME') });
      expect(same(a, home)).toEqual(same(b, other));
    }
  });

  it('writes and reads the same files as the full parser', () => {
    const home = homeWithRoom();
    expect(fast(['memory', 'set', 'w/a', '- fix login', '--tags', 'x,y', '--format', 'text'], home).code).toBe(0);
    expect(full(['memory', 'get', 'w/a', '--json'], home).stdout).toBe(fast(['memory', 'get', 'w/a', '--json'], home).stdout);
    expect(fast(['memory', 'get', 'w/a'], home).stdout).toBe('- fix login');
    expect(fast(['memory', 'set', 'w/a', 'again', '--if-version', '1', '--quiet'], home).code).toBe(0);
    expect(fast(['memory', 'set', 'w/a', 'stale', '--if-version', '1'], home).code).toBe(3);
  });
});

describe('import paths', () => {
  it('each hot verb loads neither commander nor another command group, and no search, daemon or server code', () => {
    const home = homeWithRoom();
    fast(['memory', 'set', 'a/b', 'x'], home);
    const trace = join(tempDir(), 'imports.txt');
    const loaded = (args: string[], input = '') => {
      writeFileSync(trace, '');
      const env = { MYCELIUM_AGENT_HANDLE: 'ana', TRACE_IMPORTS_FILE: trace, NODE_OPTIONS: `--import ${join(import.meta.dirname, 'workers', 'trace-imports.mjs')}` };
      expect(cli(args, { home, env, input } as never).code).toBe(0);
      return readFileSync(trace, 'utf8');
    };
    for (const args of [['memory', 'set', 'a/b', 'y'], ['memory', 'get', 'a/b'], ['memory', 'ls'], ['digest'], ['hook', 'prompt']]) {
      const modules = loaded(args, args[0] === 'hook' ? '{}' : '');
      expect(modules, args.join(' ')).not.toMatch(/commander|dist\/cli\/main\.js|dist\/cli\/register-|\/search\/|\/daemon\/|\/server\/|\/mcp\/|minisearch|fastify|@huggingface/);
      expect(modules, args.join(' ')).toMatch(/dist\/cli\/hot-verbs\.js/);
    }
    // a command line the fast path declines still reaches the whole program
    expect(loaded(['memory', 'get', 'a/b', '--room', 'team'])).not.toMatch(/commander/);
    writeFileSync(trace, '');
    cli(['memory', 'get', '--help'], { home, env: { TRACE_IMPORTS_FILE: trace, NODE_OPTIONS: `--import ${join(import.meta.dirname, 'workers', 'trace-imports.mjs')}` } });
    expect(readFileSync(trace, 'utf8')).toMatch(/commander/);
  });
});
