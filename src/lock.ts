import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, ioError } from './errors.js';
import { locksDir } from './home-paths.js';

/** A lock is stale when its holder has not touched it for this long (a crashed writer). */
const STALE_MS = 10_000;

/** Tries while another writer holds the lock: with the backoff below, about 80 s in all. */
const LOCK_RETRIES = 2000;

/**
 * Runs `work` while holding an exclusive, cross-process lock named `name` under `$MYCELIUM_HOME/locks`.
 * Locks live outside the rooms so `git status` and watchers never see them.
 * A lock left by a crashed process is taken over after STALE_MS.
 */
export async function withLock<T>(home: string, name: string, work: () => Promise<T>): Promise<T> {
  const dir = locksDir(home);
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
    // Only a lock held by another writer is waited for (up to ~80 s); any other failure (a read-only
    // home, a full disk) is reported at once instead of being retried 2,000 times.
    for (let attempt = 0; ; attempt++) {
      try {
        release = await lockfile.lock(lockPath, { realpath: false, lockfilePath: lockPath, stale: STALE_MS, retries: 0 });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || attempt >= LOCK_RETRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(40, 1.3 ** attempt) * (1 + Math.random())));
      }
    }
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
