import { existsSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon, stop, waitFor } from './daemon-helpers.js';
import { cli, homeWithRoom, sharedDir } from './helpers.js';

const modelDir = join(sharedDir, 'models', 'local', 'tiny-random-bert');
const haveModel = existsSync(join(modelDir, 'config.json'));
if (!haveModel) console.warn(`skipping the daemon model test: ${modelDir} is absent (it needs ../shared)`);
const offline = { MYCELIUM_OFFLINE: '1', MYCELIUM_MODEL_DIR: undefined };

const search = (home: string, query: string, extra: string[] = []) => {
  const result = cli(['memory', 'search', query, '--json', '--limit', '1000', ...extra], { home, env: offline });
  if (result.code !== 0) throw new Error(`search failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as { mode: string; reason?: string; results: { key: string; snippet: string }[] };
};
const keys = (response: { results: { key: string }[] }) => response.results.map((r) => r.key).sort();

describe('the daemon owns the search index', () => {
  it('answers `memory search` from its index: hand edits are found at once, deleted files never returned', async () => {
    const home = homeWithRoom();
    const dir = join(home, 'rooms', 'team');
    cli(['memory', 'set', 'decisions/db', 'We chose PostgreSQL 16'], { home });
    const daemon = await startDaemon(home);
    writeFileSync(join(dir, 'animal.md'), 'zebra crossing near the office\n');
    expect(keys(search(home, 'zebra'))).toEqual(['animal']);
    writeFileSync(join(dir, 'animal.md'), 'now about giraffes\n');
    expect(keys(search(home, 'giraffes'))).toEqual(['animal']);
    expect(keys(search(home, 'zebra'))).toEqual([]);
    unlinkSync(join(dir, 'animal.md'));
    expect(keys(search(home, 'giraffes'))).toEqual([]);
    const response = search(home, 'PostgreSQL');
    expect(response).toMatchObject({ mode: 'bm25', reason: expect.stringContaining('MYCELIUM_OFFLINE'), results: [{ key: 'decisions/db' }] });
    const status = JSON.parse(cli(['status', '--json'], { home }).stdout);
    expect(status.model).toEqual({ name: null, reason: expect.stringContaining('MYCELIUM_OFFLINE') });

    // Errors come back as they would in-process: the same line, the same exit code.
    const bad = [['memory', 'search', '   '], ['memory', 'search', 'x', '--room', 'nope']];
    const viaDaemon = bad.map((args) => cli(args, { home, env: offline }));
    expect(await stop(daemon)).toBe(0);
    bad.forEach((args, i) => {
      const inProcess = cli(args, { home, env: offline });
      expect(inProcess.code).toBeGreaterThan(0);
      expect([viaDaemon[i].code, viaDaemon[i].stderr]).toEqual([inProcess.code, inProcess.stderr]);
    });
  });

  it.skipIf(!haveModel)('keeps the model warm: a CLI without a model gets hybrid results from the daemon', async () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'notes/a', 'vectors for everyone'], { home });
    await startDaemon(home, { env: { MYCELIUM_MODEL_DIR: modelDir } });
    expect(JSON.parse(cli(['status', '--json'], { home }).stdout).model).toEqual({ name: 'tiny-random-bert', reason: null });
    expect(search(home, 'vectors')).toMatchObject({ mode: 'hybrid', results: [{ key: 'notes/a' }] });
    const reindex = cli(['memory', 'reindex', '--json'], { home, env: offline });
    expect(JSON.parse(reindex.stdout)).toMatchObject({ room: 'team', memories: 1, mode: 'hybrid' });
  });

  it('rebuilds the index folder when it is deleted while running', async () => {
    const home = homeWithRoom();
    const dir = join(home, 'rooms', 'team');
    writeFileSync(join(dir, 'first.md'), 'first words\n');
    await startDaemon(home);
    const indexDir = join(home, 'index', 'team');
    await waitFor(() => existsSync(indexDir), 10_000, 'the index folder');
    rmSync(indexDir, { recursive: true });
    writeFileSync(join(dir, 'second.md'), 'second words\n');
    expect(keys(search(home, 'words'))).toEqual(['first', 'second']);
    await waitFor(() => existsSync(join(indexDir, 'index.bin')), 10_000, 'the rebuilt index');
  });
});
