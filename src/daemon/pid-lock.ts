import { mkdir, readFile, unlink } from 'node:fs/promises';
import { DaemonRunningError, ioError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { withLock } from '../lock.js';
import { daemonDir, infoFilePath, pidFilePath } from '../home-paths.js';
import { isLiveDaemon } from '../ipc/daemon-info.js';

async function readPid(home: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(pidFilePath(home), 'utf8')).trim());
    return Number.isInteger(pid) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Makes this process the one daemon of `home`. Two starts at once serialize on a home lock, so one
 * wins and the other gets DaemonRunningError. A pid file left by a crashed daemon is replaced.
 */
export async function acquireDaemonLock(home: string): Promise<{ stale: number | null; release(): Promise<void> }> {
  try {
    await mkdir(daemonDir(home), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError('create', daemonDir(home), err);
  }
  const stale = await withLock(home, 'daemon', async () => {
    const holder = await readPid(home);
    if (holder !== null && holder !== process.pid && isLiveDaemon(holder)) {
      throw new DaemonRunningError(
        `a daemon is already running for ${home} (pid ${holder}); stop it with \`mycelium daemon stop\``,
      );
    }
    await writeFileAtomic(pidFilePath(home), `${process.pid}\n`);
    return holder !== null && holder !== process.pid ? holder : null;
  });
  return {
    stale,
    async release() {
      if ((await readPid(home)) !== process.pid) return;
      await unlink(infoFilePath(home)).catch(() => {});
      await unlink(pidFilePath(home)).catch(() => {});
    },
  };
}
