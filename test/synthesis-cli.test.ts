import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon, waitFor } from './daemon-helpers.js';
import { cli, homeWithRoom, tempDir } from './helpers.js';

const team = ['--room', 'team'];

function syntheses(home: string, room = 'team'): string[] {
  const dir = join(home, 'rooms', room, 'synthesis');
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d{4}-/.test(f)).sort() : [];
}

/** A real LLM command configured in config.toml: prints the six sections, citing the first key it was given. */
function configureLlm(home: string): void {
  const script = join(tempDir('mycelium-llm-'), 'llm.mjs');
  writeFileSync(
    script,
    `let p = '';\nprocess.stdin.on('data', (d) => (p += d));\nprocess.stdin.on('end', () => {\n` +
      `  const key = /<memory key="([^"]+)"/.exec(p)?.[1] ?? 'none';\n` +
      `  process.stdout.write("## What's built\\nthe thing (\`" + key + "\`)\\n## Current status\\nok\\n## Key decisions\\nnone\\n## What failed\\nnone\\n## Open questions\\nnone\\n## Recommended next actions\\nship\\n");\n});\n`,
  );
  writeFileSync(join(home, 'config.toml'), `[rooms]\nactive = "team"\n\n[llm]\ncommand = '"${process.execPath}" "${script}"'\ntimeout_seconds = 30\n`);
}

describe('room synthesize and catchup (CLI)', () => {
  it('writes a digest by default, the LLM sections with [llm] command, and the digest again with --no-llm', () => {
    const home = homeWithRoom();
    expect(cli(['memory', 'set', ...team, '--handle', 'ana', 'decisions/db', 'Use SQLite'], { home }).code).toBe(0);
    const noLlm = cli(['room', 'synthesize', ...team, '--llm'], { home });
    expect(noLlm.code).toBe(2);
    expect(noLlm.stderr).toContain('no LLM configured');

    const digest = cli(['room', 'synthesize', ...team, '--handle', 'ana', '--json'], { home });
    expect(digest.code).toBe(0);
    expect(JSON.parse(digest.stdout)).toMatchObject({ written: true, memory_count: 1, method: 'digest', since: null });
    const shown = cli(['memory', 'get', ...team, JSON.parse(digest.stdout).key], { home });
    expect(shown.stdout).toContain('`decisions/db` by ana');

    configureLlm(home);
    cli(['memory', 'set', ...team, '--handle', 'bo', 'work/parser', 'Parser done'], { home });
    const llm = cli(['room', 'synthesize', ...team, '--json'], { home });
    expect(llm.code).toBe(0);
    const made = JSON.parse(llm.stdout);
    expect(made).toMatchObject({ method: 'llm', memory_count: 1 });
    expect(cli(['memory', 'get', ...team, made.key], { home }).stdout).toContain('the thing (`work/parser`)');

    cli(['memory', 'set', ...team, 'work/more', 'More'], { home });
    expect(JSON.parse(cli(['room', 'synthesize', ...team, '--no-llm', '--json'], { home }).stdout).method).toBe('digest');
    expect(syntheses(home)).toHaveLength(3);
    expect(JSON.parse(cli(['memory', 'get', ...team, 'context/synthesis', '--json'], { home }).stdout).value).toContain(syntheses(home)[2].replace(/\.md$/, ''));
  });

  it('a failing LLM command falls back to the digest with a warning', () => {
    const home = homeWithRoom();
    writeFileSync(join(home, 'config.toml'), `[rooms]\nactive = "team"\n\n[llm]\ncommand = "exit 7"\n`);
    cli(['memory', 'set', ...team, 'work/a', 'A'], { home });
    const out = cli(['room', 'synthesize', ...team], { home });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('fell back');
    expect(out.stderr).toContain('exited with 7');
    const bad = homeWithRoom();
    writeFileSync(join(bad, 'config.toml'), `[llm]\nprovider = "gpt"\n`);
    expect(cli(['room', 'synthesize', ...team], { home: bad }).code).toBe(2);
  });

  it('catchup shows the newest synthesis and what changed after it, with contributors', () => {
    const home = homeWithRoom();
    const empty = cli(['room', 'catchup', ...team], { home });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('No synthesis');
    cli(['memory', 'set', ...team, '--handle', 'ana', 'work/a', 'A'], { home });
    cli(['room', 'synthesize', ...team], { home });
    cli(['memory', 'set', ...team, '--handle', 'bo', 'work/b', 'B first line\nsecond'], { home });
    cli(['memory', 'set', ...team, '--handle', 'cy', 'status/now', 'green'], { home });
    expect(cli(['memory', 'rm', ...team, 'work/a'], { home }).code).toBe(0);
    const text = cli(['room', 'catchup', ...team, '--limit', '1'], { home });
    expect(text.stdout).toContain('1 deleted since it:\n- work/a\n');
    expect(text.stdout).toContain('Newest synthesis: synthesis/');
    expect(text.stdout).toContain('2 memories changed since it (newest 1 shown)');
    expect(text.stdout).toContain('status/now  cy');
    expect(text.stdout).toContain('Contributors: bo, cy');
    const json = JSON.parse(cli(['room', 'catchup', ...team, '--json'], { home }).stdout);
    expect(json.changes.map((c: { key: string }) => c.key)).toEqual(['status/now', 'work/b']);
    expect(json).toMatchObject({ deleted: ['work/a'], deleted_count: 1 });
    expect(cli(['room', 'catchup', ...team, '--limit', '0'], { home }).code).toBe(2);
  });
});

describe('synthesis triggers (CLI)', () => {
  it('room create --trigger, trigger show/set/clear; a bad spec exits 2 and creates nothing', () => {
    const home = tempDir();
    const bad = cli(['room', 'create', 'team', '--trigger', 'threshold:zero'], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('use threshold:N');
    expect(existsSync(join(home, 'rooms', 'team'))).toBe(false);
    const made = cli(['room', 'create', 'team', '--trigger', 'threshold:5'], { home });
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('with trigger threshold:5');
    expect(existsSync(join(home, 'rooms', 'team', 'synthesis', 'trigger.md'))).toBe(true);
    expect(JSON.parse(cli(['room', 'trigger', 'show', ...team, '--json'], { home }).stdout)).toEqual({ room: 'team', trigger: 'threshold:5', pending: 0 });
    expect(cli(['room', 'trigger', 'set', ...team, 'threshold:3'], { home }).code).toBe(0);
    expect(cli(['room', 'trigger', 'show', ...team], { home }).stdout).toContain('threshold:3  (0 of 3 changes pending)');
    expect(cli(['room', 'trigger', 'set', ...team, 'daily'], { home }).code).toBe(2);
    expect(cli(['room', 'trigger', 'clear', ...team], { home }).stdout).toContain('trigger cleared');
    expect(cli(['room', 'trigger', 'clear', ...team], { home }).stdout).toContain('had no trigger');
    expect(cli(['room', 'create', 'plain'], { home }).stdout).not.toContain('trigger');
  });

  it('without a daemon, the CLI writes that reach the threshold start one synthesis after they return', async () => {
    const home = homeWithRoom();
    cli(['room', 'trigger', 'set', ...team, 'threshold:3'], { home });
    for (const key of ['work/a', 'work/b']) expect(cli(['memory', 'set', ...team, key, key], { home }).code).toBe(0);
    expect(JSON.parse(cli(['room', 'trigger', 'run', ...team, '--json'], { home }).stdout)).toMatchObject({ pending: 2, synthesis: null });
    expect(cli(['memory', 'set', ...team, 'work/c', 'c'], { home }).code).toBe(0);
    await waitFor(() => existsSync(join(home, 'rooms', 'team', 'context', 'synthesis.md')), 30_000, 'the triggered synthesis');
    expect(syntheses(home)).toHaveLength(1);
    const shown = JSON.parse(cli(['memory', 'get', ...team, `synthesis/${syntheses(home)[0].replace(/\.md$/, '')}`, '--json'], { home }).stdout);
    expect(shown).toMatchObject({ created_by: 'mycelium' });
    expect(JSON.parse(cli(['room', 'trigger', 'show', ...team, '--json'], { home }).stdout).pending).toBe(0);
  });

  it('without a daemon, a write checks a counter, not the room: one walk to start the count, then none below the threshold, one synthesis at it', async () => {
    const home = homeWithRoom();
    const counter = join(home, 'triggers', 'team.count');
    const counted = () => (existsSync(counter) ? readFileSync(counter).length : -1);
    cli(['room', 'trigger', 'set', ...team, 'threshold:3'], { home });
    expect(existsSync(counter)).toBe(false);
    expect(cli(['memory', 'set', ...team, 'work/a', 'a'], { home }).code).toBe(0);
    // The first check (detached, after the write returned) walks once and starts the count there.
    await waitFor(() => counted() === 1, 30_000, 'the count to start at 1');
    // Hand edits without a daemon are not counted: the counted check answers from the counter alone.
    const dir = join(home, 'rooms', 'team', 'notes');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `hand-${i}.md`), `hand edit ${i}\n`);
    expect(JSON.parse(cli(['room', 'trigger', 'run', ...team, '--counted', '--json'], { home }).stdout)).toMatchObject({ pending: 1, synthesis: null });
    expect(syntheses(home)).toHaveLength(0);
    // Two more writes reach the count of 3: the checks they start (both may see it) write one synthesis.
    for (const key of ['work/b', 'work/c']) expect(cli(['memory', 'set', ...team, key, key], { home }).code).toBe(0);
    await waitFor(() => existsSync(join(home, 'rooms', 'team', 'context', 'synthesis.md')), 30_000, 'the counted synthesis');
    await waitFor(() => counted() === 0, 30_000, 'the count to restart after the synthesis');
    await new Promise((r) => setTimeout(r, 1_500)); // let any racing check finish
    expect(syntheses(home)).toHaveLength(1);
    expect(readFileSync(join(home, 'rooms', 'team', 'synthesis', syntheses(home)[0]), 'utf8')).toMatch(/^memory_count: 8$/m); // the walk counted the hand edits too
    // Setting the trigger again forgets the count (the next check walks).
    cli(['room', 'trigger', 'set', ...team, 'threshold:5'], { home });
    expect(existsSync(counter)).toBe(false);
  });

  it('with a daemon, hand edits count: the daemon synthesizes when the threshold is reached', async () => {
    const home = homeWithRoom();
    cli(['room', 'trigger', 'set', ...team, 'threshold:2'], { home });
    const daemon = await startDaemon(home);
    const dir = join(home, 'rooms', 'team', 'notes');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'one.md'), 'first hand edit\n');
    writeFileSync(join(dir, 'two.md'), 'second hand edit\n');
    await waitFor(() => syntheses(home).length === 1 && existsSync(join(home, 'rooms', 'team', 'context', 'synthesis.md')), 30_000, 'the daemon to synthesize');
    const key = `synthesis/${syntheses(home)[0].replace(/\.md$/, '')}`;
    const text = cli(['memory', 'get', ...team, key], { home }).stdout;
    expect(text).toContain('`notes/one` by unknown');
    expect(text).toContain('`notes/two` by unknown');
    // the log line is written after the synthesis file; on a loaded machine it can come a moment later
    await waitFor(() => daemon.stderr().includes('trigger threshold:2 reached'), 30_000, 'the daemon to log the trigger');
  });
});
