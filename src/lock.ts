import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, ioError } from './errors.js';

/** A lock is stale when its holder has not touched it for this long (a crashed writer). */
const STALE_MS = 10_000;

/**
 * Runs `work` while holding an exclusive, cross-process lock named `name` under `$MYCELIUM_HOME/locks`.
 * Locks live outside the rooms so `git status` and watchers never see them.
 * A lock left by a crashed process is taken over after STALE_MS.
 */
export async function withLock<T>(home: string, name: string, work: () => Promise<T>): Promise<T> {
  const dir = join(home, 'locks');
  const lockPath = join(dir, createHash('sha1').update(name).digest('hex') + '.lock');
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw ioError('create', dir, err);
  }
  let release: () => Promise<void>;
  try {
    // Loaded on the first lock only: reads and a no-change search never take one (~20 ms of start-up).
    const { default: lockfile } = await import('proper-lockfile');
    release = await lockfile.lock(lockPath, {
      realpath: false,
      lockfilePath: lockPath,
      stale: STALE_MS,
      retries: { retries: 2000, factor: 1.3, minTimeout: 1, maxTimeout: 40, randomize: true },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new ConflictError(`'${name}' is busy: another writer holds its lock; retry in a moment`);
    }
    throw ioError('lock', lockPath, err);
  }
  try {
    return await work();
  } finally {
    await release().catch(() => {});
  }
}
