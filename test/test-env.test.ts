import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startDaemon } from './daemon-helpers.js';
import { cli, homeWithRoom, isolatedEnv } from './helpers.js';

/** What a developer's shell might hold: none of it may reach a CLI a test spawns. */
const STRAY = {
  MYCELIUM_AGENT_HANDLE: 'stray-handle',
  MYCELIUM_API_URL: 'http://127.0.0.1:9/stray',
  MYCELIUM_ROOM: 'stray-room',
  MYCELIUM_MODEL_DIR: '/nonexistent/stray-model',
  MYCELIUM_TOKEN: 'stray-token',
  NODE_OPTIONS: '--max-old-space-size=17',
};
const saved = new Map<string, string | undefined>();
afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  saved.clear();
});
function straysInProcessEnv(): void {
  for (const [name, value] of Object.entries(STRAY)) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
}

describe('the environment of a CLI a test spawns', () => {
  it('is built from an allow-list: stray MYCELIUM_* and NODE_OPTIONS in the shell never reach it', async () => {
    const home = homeWithRoom();
    straysInProcessEnv();
    const env = isolatedEnv(home);
    for (const name of Object.keys(STRAY)) expect(env).not.toHaveProperty(name);
    expect(env).toMatchObject({ HOME: home, MYCELIUM_HOME: home, PATH: process.env.PATH });

    // The spawned CLI writes as its OS user, in the room it was given, not as the stray handle in a stray room.
    expect(cli(['memory', 'set', 'who', 'me', '--room', 'team', '--json'], { home }).code).toBe(0);
    const got = JSON.parse(cli(['memory', 'get', 'who', '--room', 'team', '--json'], { home }).stdout);
    expect(got.updated_by).not.toBe('stray-handle');
    // No room given: the stray MYCELIUM_ROOM is not seen, the home's active room is.
    expect(JSON.parse(cli(['memory', 'ls', '--json'], { home }).stdout).room).toBe('team');
    // A bare name to clone stays a path: the stray MYCELIUM_API_URL would have made it a server URL.
    const clone = cli(['room', 'clone', 'nosuchroom', 'copy'], { home });
    expect(clone.stderr).not.toContain('127.0.0.1:9');
    // What the test passes does reach it.
    expect(cli(['memory', 'set', 'who', 'again', '--room', 'team'], { home, env: { MYCELIUM_AGENT_HANDLE: 'given' } }).code).toBe(0);
    expect(JSON.parse(cli(['memory', 'get', 'who', '--room', 'team', '--json'], { home }).stdout).updated_by).toBe('given');

    // The daemon helper builds its child's environment the same way: read it back from /proc.
    const daemon = await startDaemon(home, { env: { MYCELIUM_WATCH_DEBOUNCE_MS: '25' } });
    const environ = readFileSync(`/proc/${daemon.child.pid}/environ`, 'utf8').split('\0').filter(Boolean);
    const names = environ.map((line) => line.slice(0, line.indexOf('=')));
    for (const name of Object.keys(STRAY)) expect(names).not.toContain(name);
    expect(environ).toContain('MYCELIUM_WATCH_DEBOUNCE_MS=25');
    expect(environ).toContain('MYCELIUM_OFFLINE=1');
    expect(environ).toContain(`MYCELIUM_HOME=${home}`);
  }, 60_000);
});
