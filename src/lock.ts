import { rmdirSync } from 'node:fs';
import { mkdir, rmdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, ioError } from './errors.js';
import { locksDir } from './home-paths.js';
import { nodeCrypto } from './content-hash.js';

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
  const lockPath = join(dir, nodeCrypto().createHash('sha1').update(name).digest('hex') + '.lock');
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw ioError('create', dir, err);
  }
  let release: () => Promise<void>;
  try {
    release = (await takeFree(lockPath)) ?? (await takeContended(lockPath));
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

/**
 * A lock nobody holds, taken without loading proper-lockfile (~7 ms of a `memory set`'s start):
 * its lock is a folder made with one atomic mkdir and kept fresh by touching its time, so this is
 * the same lock, and a writer using proper-lockfile waits for it as for its own. undefined when
 * the folder exists (held, or left by a crashed writer): then proper-lockfile waits or takes over.
 * The time is touched every STALE_MS / 2 while held, as proper-lockfile does; a lock left by a
 * process killed by a signal goes stale after STALE_MS like any crashed writer's.
 */
async function takeFree(lockPath: string): Promise<(() => Promise<void>) | undefined> {
  try {
    await mkdir(lockPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
  const touch = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => {});
  }, STALE_MS / 2);
  touch.unref();
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', releaseHeldAtExit);
  }
  held.add(lockPath);
  return async () => {
    clearInterval(touch);
    held.delete(lockPath);
    await rmdir(lockPath);
  };
}

/** The locks this process holds through takeFree, removed if it exits holding them (one listener for all). */
const held = new Set<string>();
let exitHooked = false;

function releaseHeldAtExit(): void {
  for (const path of held) {
    try {
      rmdirSync(path);
    } catch {
      // already gone
    }
  }
}

/** A lock another writer holds (or left): proper-lockfile waits for it, or takes it over once stale. */
async function takeContended(lockPath: string): Promise<() => Promise<void>> {
  const { default: lockfile } = await import('proper-lockfile');
  // Only a lock held by another writer is waited for (up to ~80 s); any other failure (a read-only
  // home, a full disk) is reported at once instead of being retried 2,000 times.
  for (let attempt = 0; ; attempt++) {
    try {
      return await lockfile.lock(lockPath, { realpath: false, lockfilePath: lockPath, stale: STALE_MS, retries: 0 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || attempt >= LOCK_RETRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(40, 1.3 ** attempt) * (1 + Math.random())));
    }
  }
}
