import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, startServe } from './helpers.js';

const offline = { MYCELIUM_OFFLINE: '1' };

function keys(home: string, ...args: string[]): string[] {
  const out = cli(['memory', 'search', 'redis eviction', '--room', 'team', '--mode', 'bm25', '--json', ...args], { home, env: offline });
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout).results.map((r: { key: string }) => r.key).sort();
}

describe('search and messages', () => {
  it('finds messages like memories; --prefix messages/ and --kind message narrow to them; --kind memory leaves them out', async () => {
    const home = homeWithRoom();
    expect(cli(['memory', 'set', 'decisions/cache', 'redis eviction policy: allkeys-lru', '--room', 'team', '--handle', 'ana'], { home }).code).toBe(0);
    const sent = JSON.parse(cli(['room', 'send', '--room', 'team', '--handle', 'ana', '--json', '@bo heads up: redis eviction bug'], { home }).stdout);
    expect(keys(home)).toEqual(['decisions/cache', sent.key]);
    expect(keys(home, '--prefix', 'messages/')).toEqual([sent.key]);
    expect(keys(home, '--kind', 'message')).toEqual([sent.key]);
    expect(keys(home, '--kind', 'memory')).toEqual(['decisions/cache']);
    expect(cli(['memory', 'search', 'redis', '--room', 'team', '--kind', 'chatter'], { home, env: offline }).code).toBe(2);

    const { url } = await startServe(home, [], offline);
    const post = async (body: Record<string, unknown>) =>
      fetch(`${url}/rooms/team/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'redis eviction', mode: 'bm25', ...body }) });
    const response = await post({ kind: 'memory' });
    expect((await response.json()).results.map((r: { key: string }) => r.key)).toEqual(['decisions/cache']);
    const bad = await post({ kind: 'chatter' });
    expect(bad.status).toBe(400);
  }, 120_000);
});
