import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, tempDir, isolatedEnv } from './helpers.js';

const fullParser = join(import.meta.dirname, 'workers', 'full-parser.mjs');

/** The same command line through the whole commander program (no fast path). */
function full(args: string[], home: string) {
  const r = spawnSync(process.execPath, [fullParser, ...args], { env: isolatedEnv(home, { MYCELIUM_AGENT_HANDLE: 'ana' }), encoding: 'utf8' });
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
      ['plan', 'tasks'], ['plan', 'tasks', '--all', '--json'], ['plan', 'tasks', '--stall', 'abc'], ['plan', 'tasks', 'extra'],
      ['plan', 'tasks', '--owner'], ['plan', 'tasks', '--help'], ['plan', 'task', 'done'], ['plan', 'task', 'done', 't-zzzz'],
      ['plan', 'task', 'done', 't-zzzz', '--json', 't-yyyy'], ['plan', 'task', 'done', '-h'],
      ['claim', 'src/a', '--ttl', 'abc'], ['claim', 'src/a', '--ttl', '0', '--json'], ['claim', 'src/a', 'src/b', '--checkpoint', '- halfway'],
      ['claim', '--worktree'], ['claim', 'renew'], ['claim', 'help'], ['claim', 'handoff', 'c-zzzzzzzz', 'bo'], ['claim', '--bogus'],
      ['claim', '--', '--task', 'x'], ['claim', 'docs', '--task', 'nope'],
      ['memory', 'search', 'x', '--mode', 'bm25', '--json'], ['memory', 'search', 'x', '--mode', 'fuzzy'], ['memory', 'search'],
      ['memory', 'search', 'x', 'y'], ['memory', 'search', '--help'], ['memory', 'search', 'x', '--limit', '0', '--mode', 'bm25'],
      ['memory', 'search', 'login', '--mode=bm25', '--tag', 'x', '--tag', 'y', '--json'], ['memory', 'search', 'x', '--tag'],
      ['memory', 'search', 'fix login -halfway', '--mode', 'bm25', '--min-score', '0', '--explain', '--json'],
      ['memory', 'search', 'x', '--mode', 'bm25', '--min-score', 'high'], ['memory', 'search', 'x', '--kind', 'note'],
    ];
    // A claim's id and times differ between the two homes; everything else must match.
    const stable = (text: string) => text.replace(/\bc-[0-9a-z]{8}\b/g, 'c-ID').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z?/g, 'TIME');
    for (const args of lines) {
      const a = fast(args, home);
      const b = full(args, other);
      const same = (r: typeof a, h: string) => ({ args, code: r.code, stdout: stable(r.stdout.replaceAll(h, 'HOME')), stderr: stable(r.stderr.replaceAll(h, 'HOME')) });
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

    const id = full(['plan', 'task', 'add', 'ship it'], home).stdout.trim();
    expect(fast(['plan', 'task', 'done', id, '--quiet'], home)).toMatchObject({ code: 0, stdout: expect.stringContaining(`${id}  done`) });
    expect(fast(['plan', 'tasks', '--all', '--json'], home).stdout).toBe(full(['plan', 'tasks', '--all', '--json'], home).stdout);
    expect(JSON.parse(fast(['plan', 'tasks', '--all', '--json'], home).stdout)).toMatchObject([{ id, status: 'done' }]);
    const granted = JSON.parse(fast(['claim', 'src/x', '--ttl', '10m', '--json'], home).stdout);
    expect(JSON.parse(full(['claims', '--json'], home).stdout)).toMatchObject([{ id: granted.claim.id, holder: 'ana', paths: ['src/x'] }]);
    const taken = cli(['claim', 'src/x/y.ts'], { home, env: { MYCELIUM_AGENT_HANDLE: 'bo' } });
    expect(taken.code).toBe(3);
    expect(taken.stderr).toContain(`claim ${granted.claim.id} held by @ana`);
  });

  it('declare the same subcommands under `claim` as the commander program', async () => {
    const { buildProgram } = await import('../dist/cli/main.js');
    const { CLAIM } = await import('../dist/cli/verb-spec.js');
    const claim = buildProgram('claim').commands.find((c: { name(): string }) => c.name() === 'claim');
    expect(claim.commands.map((c: { name(): string }) => c.name()).sort()).toEqual([...CLAIM.subcommands].sort());
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
    const hot = [['memory', 'set', 'a/b', 'y'], ['memory', 'get', 'a/b'], ['memory', 'ls'], ['digest'], ['hook', 'prompt'], ['claim', 'src'], ['plan', 'tasks'], ['plan', 'task', 'done', 't-none']];
    fast(['plan', 'task', 'add', 'x'], home);
    for (const args of hot) {
      if (args[2] === 'done') args[3] = JSON.parse(fast(['plan', 'tasks', '--json'], home).stdout)[0].id;
      const modules = loaded(args, args[0] === 'hook' ? '{}' : '');
      expect(modules, args.join(' ')).not.toMatch(/commander|dist\/cli\/main\.js|dist\/cli\/register-|\/search\/|\/daemon\/|\/server\/|\/mcp\/|minisearch|fastify|@huggingface/);
      expect(modules, args.join(' ')).toMatch(/dist\/cli\/hot-verbs\.js/);
    }
    // memory search loads the search code, but neither commander nor another command group
    const searched = loaded(['memory', 'search', 'y', '--mode', 'bm25', '--tag', 'a', '--tag', 'b']);
    expect(searched).not.toMatch(/commander|dist\/cli\/main\.js|dist\/cli\/register-|\/server\/|\/mcp\//);
    expect(searched).toMatch(/dist\/cli\/hot-verbs\.js[\s\S]*\/search\/room-index\.js/);
    // a command line the fast path declines still reaches the whole program
    expect(loaded(['memory', 'get', 'a/b', '--room', 'team'])).not.toMatch(/commander/);
    writeFileSync(trace, '');
    cli(['memory', 'get', '--help'], { home, env: { TRACE_IMPORTS_FILE: trace, NODE_OPTIONS: `--import ${join(import.meta.dirname, 'workers', 'trace-imports.mjs')}` } });
    expect(readFileSync(trace, 'utf8')).toMatch(/commander/);
  });
});
