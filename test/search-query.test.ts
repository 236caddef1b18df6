import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, snapshot } from './helpers.js';

const offline = { MYCELIUM_OFFLINE: '1', MYCELIUM_MODEL_DIR: undefined };
const search = (home: string, args: string[]) => cli(['memory', 'search', ...args, '--mode', 'bm25'], { home, env: offline });
const keys = (home: string, args: string[]) => {
  const result = search(home, [...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout).results.map((r: { key: string }) => r.key);
};

function seeded(): string {
  const home = homeWithRoom();
  const set = (key: string, value: string) => cli(['memory', 'set', key, value, '--handle', 'ana'], { home });
  set('deploy/blue', 'Intro line\n\nWe deploy with blue green switches.\nRollback is instant.');
  set('deploy/green', 'Green builds deploy to blue hosts later.');
  set('deploy/canary', 'Canary deploys go first, then the rest.');
  return home;
}

describe('query syntax', () => {
  it('"an exact phrase" must occur as those words in that order', () => {
    const home = seeded();
    expect(keys(home, ['blue green']).sort()).toEqual(['deploy/blue', 'deploy/green']);
    expect(keys(home, ['"blue green"'])).toEqual(['deploy/blue']);
    expect(keys(home, ['"green blue"'])).toEqual([]);
  });

  it('-word drops memories holding the word, stemmed like the index', () => {
    const home = seeded();
    // The whole query is one argument (quoted in a shell), so -word never reads as an option.
    expect(keys(home, ['deploy -canary']).sort()).toEqual(['deploy/blue', 'deploy/green']);
    expect(keys(home, ['deploy -canaries -later'])).toEqual(['deploy/blue']);
  });

  it('--min-score drops results below it; every result says its line, in --json and as key:line', () => {
    const home = seeded();
    const all = JSON.parse(search(home, ['rollback', '--json']).stdout).results;
    expect(all).toHaveLength(1);
    const file = readFileSync(join(home, 'rooms', 'team', 'deploy', 'blue.md'), 'utf8').split('\n');
    expect(file[all[0].line - 1]).toBe('Rollback is instant.');
    expect(search(home, ['rollback']).stdout.split('\n')[0]).toMatch(new RegExp(`^deploy/blue:${all[0].line}  v1 `));
    expect(keys(home, ['rollback', '--min-score', String(all[0].score + 0.001)])).toEqual([]);
    expect(keys(home, ['rollback', '--min-score', String(all[0].score)])).toEqual(['deploy/blue']);
  });

  it('bad input: a query of only excluded words, a --min-score that is not a number: exit 2, one line, nothing changed', () => {
    const home = seeded();
    search(home, ['deploy']);
    const before = snapshot(home);
    for (const args of [[' -deploy -blue'], ['deploy', '--min-score', 'high'], ['deploy', '--min-score', '-1']]) {
      const result = search(home, args);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
    }
    expect(snapshot(home)).toEqual(before);
  });
});
