import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon, stop } from './daemon-helpers.js';
import { cli, cliAsync, homeWithRoom, sharedDir, snapshot, tempDir } from './helpers.js';

interface Check {
  name: string;
  status: string;
  detail: string;
  fix?: string;
}

/** No model and no network attempt, unless a test gives MYCELIUM_MODEL_DIR. */
const offline = { MYCELIUM_OFFLINE: '1', MYCELIUM_MODEL_DIR: undefined, CLAUDE_CONFIG_DIR: undefined };
const modelDir = join(sharedDir, 'models', 'local', 'tiny-random-bert');
const haveModel = existsSync(join(modelDir, 'config.json'));
if (!haveModel) console.warn(`skipping the doctor model test: ${modelDir} is absent (it needs ../shared)`);

function doctor(home: string, env: Record<string, string | undefined> = {}) {
  const user = tempDir();
  const result = cli(['doctor', '--json'], { home, env: { HOME: user, ...offline, ...env }, cwd: user });
  const report = JSON.parse(result.stdout) as { ok: boolean; checks: Check[] };
  const check = (name: string) => report.checks.find((c) => c.name === name)!;
  return { code: result.code, report, check, user };
}

describe('mycelium doctor', () => {
  it('checks every part, in order, and passes on a working home without touching it', () => {
    const home = homeWithRoom();
    const before = snapshot(home);
    const { code, report, check } = doctor(home);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(['home', 'rooms', 'round-trip', 'search', 'model', 'daemon', 'claude-code']);
    expect(check('home')).toEqual({ name: 'home', status: 'ok', detail: `${home} is writable` });
    expect(check('rooms')).toMatchObject({ status: 'ok', detail: "1 room; using 'team'" });
    expect(check('round-trip')).toMatchObject({ status: 'ok' });
    expect(check('round-trip').detail).toMatch(/^created a room, wrote, read, listed and removed memories \(\d+ ms\)$/);
    expect(check('search')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^built an index and found a memory with BM25 \(\d+ ms\)$/) });
    expect(check('model')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^no embedding model, search uses BM25 only: .*MYCELIUM_OFFLINE is set/),
      fix: expect.stringContaining('MYCELIUM_MODEL_DIR'),
    });
    expect(check('daemon')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^not running \(optional/), fix: 'mycelium daemon start' });
    expect(check('claude-code')).toMatchObject({ status: 'warn', fix: 'mycelium adapter add claude-code (add --mcp for the MCP tools)' });
    expect(snapshot(home)).toEqual(before);
  });

  it('prints each check with its fix, and reports installed adapters as ok', () => {
    const home = homeWithRoom();
    const user = tempDir();
    const env = { HOME: user, ...offline };
    const text = cli(['doctor'], { home, env, cwd: user });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ok\s+home\s+.* is writable$/m);
    expect(text.stdout).toMatch(/^warn\s+daemon\s+not running \(optional.*\n\s+fix: mycelium daemon start$/m);
    expect(text.stdout).toMatch(/^warn\s+model\s+no embedding model, search uses BM25 only: .*\n\s+fix: set MYCELIUM_MODEL_DIR/m);
    expect(text.stdout).toMatch(/^warn\s+claude-code\s+skill not installed; MCP server not registered\n\s+fix: mycelium adapter add claude-code/m);
    expect(text.stdout.trim().split('\n').pop()).toBe('mycelium works here');

    cli(['adapter', 'add', 'claude-code', '--mcp'], { home, env, cwd: user });
    const after = cli(['doctor', '--json'], { home, env, cwd: user });
    expect(JSON.parse(after.stdout).checks.at(-1)).toEqual({ name: 'claude-code', status: 'ok', detail: 'skill installed and current; MCP server registered' });
  });

  it.skipIf(!haveModel)('loads the model from MYCELIUM_MODEL_DIR and runs a hybrid search with it', () => {
    const { code, check } = doctor(homeWithRoom(), { MYCELIUM_MODEL_DIR: modelDir });
    expect(code).toBe(0);
    expect(check('model')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^tiny-random-bert loaded \(dimension 32\); a hybrid search ran \(\d+ ms\)$/) });
  });

  it('reports a broken model folder with the reason, and still passes (BM25 works)', () => {
    const broken = tempDir();
    writeFileSync(join(broken, 'config.json'), '{}');
    const { code, check } = doctor(homeWithRoom(), { MYCELIUM_MODEL_DIR: broken });
    expect(code).toBe(0);
    expect(check('search').status).toBe('ok');
    expect(check('model')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/is missing tokenizer\.json/) });
  });

  it('sees a running daemon answer', async () => {
    const home = homeWithRoom();
    const daemon = await startDaemon(home);
    const result = await cliAsync(['doctor', '--json'], { home, env: { HOME: tempDir(), ...offline } });
    const check = JSON.parse(result.stdout).checks.find((c: Check) => c.name === 'daemon');
    expect(check).toEqual({ name: 'daemon', status: 'ok', detail: expect.stringMatching(new RegExp(`^running \\(pid ${daemon.child.pid}\\) and answering on 127\\.0\\.0\\.1:\\d+$`)) });
    expect(await stop(daemon)).toBe(0);
  });

  it('says how to start when there is no room, or the selected one is gone', () => {
    const empty = doctor(tempDir());
    expect(empty.code).toBe(0);
    expect(empty.check('rooms')).toEqual({ name: 'rooms', status: 'warn', detail: 'no rooms yet', fix: 'mycelium room create NAME' });

    const home = homeWithRoom();
    const gone = doctor(home, { MYCELIUM_ROOM: 'old' });
    expect(gone.check('rooms')).toMatchObject({ status: 'warn', detail: "the selected room 'old' does not exist (rooms: team)" });
  });

  it('fails with exit 4 on a home it cannot write, saying what to do', () => {
    const parent = tempDir();
    writeFileSync(join(parent, 'file'), 'not a folder');
    const { code, report, check } = doctor(join(parent, 'file', 'home'));
    expect(code).toBe(4);
    expect(report.ok).toBe(false);
    expect(check('home')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/set MYCELIUM_HOME to a folder you can write/) });
    expect(check('round-trip')).toMatchObject({ status: 'fail', detail: 'skipped: the home is not writable' });
    expect(check('search')).toMatchObject({ status: 'fail', detail: 'skipped: the home is not writable' });
    const text = cli(['doctor'], { home: join(parent, 'file', 'home'), env: { HOME: parent }, cwd: parent });
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/^FAIL\s+home\s+cannot write in .* \(ENOTDIR\)$/m);
  });

  it('fails on a config file it cannot parse, naming the file', () => {
    const home = homeWithRoom();
    writeFileSync(join(home, 'config.toml'), '[rooms\nactive = ');
    const { code, check } = doctor(home);
    expect(code).toBe(4);
    expect(check('rooms')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`cannot parse ${join(home, 'config.toml')}`) });
    expect(readdirSync(home).filter((n) => n.startsWith('.doctor'))).toEqual([]);
  });
});
