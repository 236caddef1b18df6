import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from './helpers.js';

/**
 * The skill can never drift from the CLI: every fenced shell block in SKILL.md runs, in order, in one
 * fresh temp HOME with `mycelium` on PATH, under `bash -e -o pipefail`. A block's info string says how:
 *   ```sh                  run; must exit 0
 *   ```sh long-running     a command that does not return by itself (subscribe): start it, let it run
 *                          LONG_RUNNING_MS, stop it; it must not have failed before that
 *   ```sh not-run          shown, never run (say why in the text around it)
 * Any other word after the language fails the test, so a typo cannot skip a block.
 */

const skillPath = join(repoRoot, 'skills', 'mycelium', 'SKILL.md');
const SHELLS = ['sh', 'bash', 'shell', 'console'];
const MODES = ['run', 'long-running', 'not-run'] as const;
type Mode = (typeof MODES)[number];
const LONG_RUNNING_MS = 3000;

export interface ShellBlock {
  /** 1-based line of the opening fence. */
  line: number;
  mode: Mode;
  code: string;
}

/** The fenced shell blocks of a markdown text, with how each is to be tested. */
export function shellBlocks(markdown: string): ShellBlock[] {
  const blocks: ShellBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})\s*(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, fence, language, rest] = open;
    const end = lines.findIndex((l, j) => j > i && l.startsWith(fence) && l.trim() === fence);
    if (end < 0) throw new Error(`line ${i + 1}: unclosed code fence`);
    if (SHELLS.includes(language)) {
      const mode = (rest.trim() || 'run') as Mode;
      if (!MODES.includes(mode)) throw new Error(`line ${i + 1}: unknown block mode '${rest.trim()}' (use ${MODES.join(', ')})`);
      blocks.push({ line: i + 1, mode, code: lines.slice(i + 1, end).join('\n') });
    }
    i = end;
  }
  return blocks;
}

/**
 * Runs one block. 'run': passes when it exits 0. 'long-running': passes when it is still running
 * after `longRunningMs` (then it is stopped, with everything it started) or exited 0 before.
 */
export async function runBlock(
  block: ShellBlock,
  options: { cwd: string; env: NodeJS.ProcessEnv; longRunningMs?: number },
): Promise<{ ok: boolean; how: string; output: string }> {
  const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', block.code], { cwd: options.cwd, env: options.env, detached: true });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const limit = block.mode === 'long-running' ? (options.longRunningMs ?? LONG_RUNNING_MS) : 60_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([exited, new Promise<'running'>((r) => (timer = setTimeout(() => r('running'), limit)))]);
  clearTimeout(timer);
  if (outcome === 'running') {
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
    return block.mode === 'long-running'
      ? { ok: true, how: `still running after ${limit} ms, stopped`, output }
      : { ok: false, how: `did not finish within ${limit} ms`, output };
  }
  return { ok: outcome === 0, how: `exited ${String(outcome)}`, output };
}

describe('runBlock', () => {
  const options = { cwd: tmpdir(), env: process.env, longRunningMs: 400 };
  it('passes a block that exits 0 and fails one where any command fails', async () => {
    expect((await runBlock({ line: 1, mode: 'run', code: 'true\necho ok' }, options)).ok).toBe(true);
    const failed = await runBlock({ line: 1, mode: 'run', code: 'false\necho not reached' }, options);
    expect(failed).toEqual({ ok: false, how: 'exited 1', output: '' });
    expect((await runBlock({ line: 1, mode: 'run', code: 'false | cat' }, options)).ok).toBe(false);
  });

  it('passes a long-running block that keeps running, stops it, and fails one that dies early', async () => {
    const running = await runBlock({ line: 1, mode: 'long-running', code: 'echo started; sleep 30' }, options);
    expect(running).toEqual({ ok: true, how: 'still running after 400 ms, stopped', output: 'started\n' });
    const died = await runBlock({ line: 1, mode: 'long-running', code: 'echo oops >&2; exit 3' }, options);
    expect(died).toEqual({ ok: false, how: 'exited 3', output: 'oops\n' });
  });
});

describe('shellBlocks', () => {
  it('finds shell blocks with their modes and skips other languages', () => {
    const md = ['# t', '```sh', 'echo a', '```', '```json', '{}', '```', '```bash long-running', 'sleep 9', '```', '```sh not-run', 'x', '```'].join('\n');
    expect(shellBlocks(md)).toEqual([
      { line: 2, mode: 'run', code: 'echo a' },
      { line: 8, mode: 'long-running', code: 'sleep 9' },
      { line: 11, mode: 'not-run', code: 'x' },
    ]);
  });

  it('refuses unknown modes and unclosed fences', () => {
    expect(() => shellBlocks('```sh skip\necho\n```')).toThrow(/unknown block mode 'skip'/);
    expect(() => shellBlocks('```sh\necho')).toThrow(/unclosed code fence/);
  });
});

describe('skills/mycelium/SKILL.md', () => {
  const markdown = readFileSync(skillPath, 'utf8');
  const blocks = shellBlocks(markdown);
  let root: string;
  let env: NodeJS.ProcessEnv;
  let work: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mycelium-skill-'));
    const bin = join(root, 'bin');
    const home = join(root, 'home');
    work = join(root, 'work');
    for (const dir of [bin, home, work]) mkdirSync(dir);
    writeFileSync(join(bin, 'mycelium'), `#!/bin/sh\nexec "${process.execPath}" "${cliPath}" "$@"\n`);
    chmodSync(join(bin, 'mycelium'), 0o755);
    // Offline: search uses BM25 at once instead of asking the model hub (no network here).
    env = { ...process.env, HOME: home, PATH: `${bin}:${process.env.PATH}`, MYCELIUM_OFFLINE: '1' };
    for (const name of ['MYCELIUM_HOME', 'MYCELIUM_ROOM', 'MYCELIUM_AGENT_HANDLE', 'CLAUDE_CONFIG_DIR', 'MYCELIUM_MODEL_DIR']) delete env[name];
  });
  afterAll(() => {
    // The skill starts a daemon and stops it again; stop it here too in case a block failed between.
    spawnSync('mycelium', ['daemon', 'stop'], { cwd: work, env });
    rmSync(root, { recursive: true, force: true });
  });

  it('has frontmatter naming the skill and saying when to use it', () => {
    const front = /^---\n([\s\S]*?)\n---\n/.exec(markdown)?.[1] ?? '';
    expect(front).toMatch(/^name: mycelium$/m);
    const description = /^description: (.+)$/m.exec(front)?.[1] ?? '';
    expect(description).toMatch(/decision/i);
    expect(description).toMatch(/context/i);
    expect(description.length).toBeLessThanOrEqual(1024);
  });

  it('teaches the key conventions and the commands', () => {
    for (const prefix of ['decisions/', 'context/', 'work/', 'failed/', 'procedures/']) expect(markdown).toContain(prefix);
    const runnable = blocks.filter((b) => b.mode === 'run').map((b) => b.code).join('\n');
    for (const command of ['room create', 'room ls', 'memory set', 'memory get', 'memory ls', 'memory rm', 'memory search', 'daemon start', 'status', 'room remote', 'room clone', 'sync', 'doctor']) {
      expect(runnable).toContain(`mycelium ${command}`);
    }
    expect(runnable).toMatch(/\bcat ~\/\.mycelium\/rooms\//);
    expect(runnable).toMatch(/\bgrep -r/);
    expect(blocks.filter((b) => b.mode === 'long-running').map((b) => b.code).join('\n')).toContain('mycelium memory subscribe');
    expect(blocks.filter((b) => b.mode === 'run').length).toBeGreaterThanOrEqual(10);
  });

  // One test per block, in file order: later blocks read what earlier ones wrote.
  for (const block of blocks) {
    const title = `block at line ${block.line} (${block.mode}): ${block.code.split('\n')[0].slice(0, 60)}`;
    if (block.mode === 'not-run') {
      it.skip(title, () => {});
      continue;
    }
    it(title, async () => {
      const outcome = await runBlock(block, { cwd: work, env });
      expect(outcome.ok, `SKILL.md line ${block.line}: ${outcome.how}\n${outcome.output}`).toBe(true);
    });
  }

  it('left the memories it taught in the room, as files', () => {
    const room = join(root, 'home', '.mycelium', 'rooms', 'team');
    expect(readFileSync(join(room, 'decisions', 'db.md'), 'utf8')).toMatch(/^---\nkey: decisions\/db\n[\s\S]*PostgreSQL 16/);
    expect(readFileSync(join(room, 'work', 'api-migration.md'), 'utf8')).toMatch(/version: 2\n[\s\S]*Moved \/v1\/orders/);
    expect(readFileSync(join(room, 'context', 'handles.md'), 'utf8')).toMatch(/updated_by: claude-reviewer/);
    // What the sync section promises: the laptop's note and the merged memory reached the team room.
    expect(readFileSync(join(room, 'context', 'laptop.md'), 'utf8')).toContain('reach the team room through sync');
    const merged = spawnSync('mycelium', ['memory', 'get', 'context/staging', '--room', 'team-laptop'], { cwd: work, env, encoding: 'utf8' });
    expect(merged.stdout).toBe('Staging moved from https://staging.acme.dev to https://stage.acme.dev on 2026-11-20');
    const siblings = spawnSync('mycelium', ['memory', 'ls', 'context/', '--room', 'team-laptop', '--json'], { cwd: work, env, encoding: 'utf8' });
    expect(JSON.parse(siblings.stdout).memories.map((m: { key: string }) => m.key).filter((k: string) => k.includes('.conflict-'))).toEqual([]);
    // What the search section promises: the question finds the decision (by words alone here: no model).
    const search = spawnSync('mycelium', ['memory', 'search', 'which database do we use', '--json'], { cwd: work, env, encoding: 'utf8' });
    expect(JSON.parse(search.stdout).results.map((r: { key: string }) => r.key)).toContain('decisions/db');
  });
});
