import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from './daemon-helpers.js';
import { cli, cliPath, homeWithRoom, startServe, tempDir, isolatedEnv } from './helpers.js';

const offline = { MYCELIUM_OFFLINE: '1' };

/** The folders a clone is being built in (a staging home per clone). */
function stagings(home: string): string[] {
  const root = join(home, '.staging');
  return existsSync(root) ? readdirSync(root) : [];
}

function stagedFiles(home: string): number {
  let count = 0;
  for (const staging of stagings(home)) {
    const dir = join(home, '.staging', staging, 'rooms', 'team', 'notes');
    if (existsSync(dir)) count += readdirSync(dir).length;
  }
  return count;
}

describe('room clone over HTTP builds the room in a staging folder', () => {
  it('a clone killed half way leaves no room; the next clone cleans up, is complete, and its sync pushes nothing', async () => {
    const server = homeWithRoom();
    const notes = join(server, 'rooms', 'team', 'notes');
    mkdirSync(notes, { recursive: true });
    for (let i = 0; i < 3000; i++) writeFileSync(join(notes, `n${i}.md`), `note ${i}\n${'text '.repeat(40)}\n`);
    const serve = await startServe(server, [], offline);
    try {
      const home = tempDir();
      const env = isolatedEnv(home, offline);
      const child = spawn(process.execPath, [cliPath, 'room', 'clone', `${serve.url}/rooms/team`], { cwd: home, env, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let done = false;
      void exited.then(() => (done = true));
      const direct = join(home, 'rooms', 'team', 'notes');
      const written = () => stagedFiles(home) > 0 || (existsSync(direct) && readdirSync(direct).length > 0);
      await waitFor(() => done || written(), 60_000, 'the clone to write its first files');
      if (!done) {
        child.kill('SIGKILL');
        await exited;
        expect(stagedFiles(home)).toBeGreaterThan(0);
        expect(existsSync(join(home, 'rooms', 'team'))).toBe(false);
        expect(existsSync(join(home, 'sync', 'team.json'))).toBe(false);
        const ls = cli(['room', 'ls', '--json'], { home, env: offline });
        expect(JSON.parse(ls.stdout).rooms).toEqual([]);
        const sync = cli(['sync', '--room', 'team'], { home, env: offline });
        expect(sync.code).toBe(1); // no such room: nothing half-cloned to push
      } else {
        console.warn('the clone finished before it could be killed; only the clean clone is checked');
      }
      cli(['room', 'rm', 'team', '--force'], { home, env: offline });
      const again = cli(['room', 'clone', `${serve.url}/rooms/team`, '--json'], { home, env: offline });
      expect(again.code, again.stderr).toBe(0);
      expect(stagings(home)).toEqual([]);
      expect(readdirSync(join(home, 'rooms', 'team', 'notes'))).toHaveLength(3000);
      const list = cli(['memory', 'ls', '--json'], { home, env: offline });
      expect(list.code, list.stderr).toBe(0); // the clone was selected as the active room
      const sync = cli(['sync', '--json'], { home, env: offline });
      expect(sync.code, sync.stderr).toBe(0);
      expect(JSON.parse(sync.stdout)).toMatchObject({ incoming: [], outgoing: [] });
    } finally {
      await serve.stop();
    }
  }, 180_000);

  it('a clone that fails (the server goes away) leaves neither a room nor a staging folder', async () => {
    const server = homeWithRoom();
    cli(['memory', 'set', 'a', 'v'], { home: server });
    const serve = await startServe(server, [], offline);
    const url = `${serve.url}/rooms/nope`;
    await serve.stop();
    const home = tempDir();
    const result = cli(['room', 'clone', url], { home, env: offline });
    expect(result.code).toBe(4);
    expect(existsSync(join(home, 'rooms', 'nope'))).toBe(false);
    expect(stagings(home)).toEqual([]);
  });
});
