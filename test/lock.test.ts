import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { describe, expect, it } from 'vitest';
import { locksDir } from '../src/home-paths.js';
import { withLock } from '../src/lock.js';
import { cliAsync, homeWithRoom, tempDir } from './helpers.js';

const lockPathOf = (home: string, name: string) => join(locksDir(home), createHash('sha1').update(name).digest('hex') + '.lock');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('withLock', () => {
  it('lets one holder in at a time, leaves no lock behind, and adds one exit listener however many it holds', async () => {
    const home = tempDir();
    const listeners = process.listenerCount('exit');
    let inside = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 20 }, (_, i) => withLock(home, i % 2 === 0 ? 'a' : 'b', async () => {
      inside++;
      most = Math.max(most, inside);
      await sleep(2);
      inside--;
    })));
    expect(most).toBeLessThanOrEqual(2); // one per name
    expect(process.listenerCount('exit') - listeners).toBeLessThanOrEqual(1);
    expect(readdirSync(locksDir(home))).toEqual([]);
  });

  it('waits for a lock proper-lockfile holds, and proper-lockfile is refused the lock it holds', async () => {
    const home = tempDir();
    mkdirSync(locksDir(home), { recursive: true });
    const path = lockPathOf(home, 'room:team');
    const release = await lockfile.lock(path, { realpath: false, lockfilePath: path, stale: 10_000, retries: 0 });
    const order: string[] = [];
    const waiting = withLock(home, 'room:team', async () => {
      order.push('second');
    });
    await sleep(150);
    order.push('first released');
    await release();
    await waiting;
    expect(order).toEqual(['first released', 'second']);
    await withLock(home, 'room:team', async () => {
      await expect(lockfile.lock(path, { realpath: false, lockfilePath: path, stale: 10_000, retries: 0 })).rejects.toMatchObject({ code: 'ELOCKED' });
    });
  });

  it('takes over a lock a crashed writer left (untouched for longer than the stale time)', async () => {
    const home = tempDir();
    const path = lockPathOf(home, 'room:team');
    mkdirSync(path, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    let ran = false;
    await withLock(home, 'room:team', async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('serialises memory set across processes: every write lands, each a new version', async () => {
    const home = homeWithRoom();
    const env = { MYCELIUM_AGENT_HANDLE: 'ana', MYCELIUM_ROOM: 'team' };
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => cliAsync(['memory', 'set', 'notes/shared', `write ${i}`, '--json'], { home, env })));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(results.map((r) => JSON.parse(r.stdout).version).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(readdirSync(locksDir(home))).toEqual([]);
  });
});
