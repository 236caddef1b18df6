import { link, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { processAlive } from './process-alive.js';

/**
 * A hidden temp name beside `path`, unique to this process and write: the pid, then 8 random hex
 * digits. Not node:crypto's randomBytes: loading crypto costs a hook's start more than its work, and
 * the name needs no secrecy (the temp is opened with O_EXCL, which never follows a planted link).
 * Temp names start with '.' and end in '.tmp' so listings and watchers skip them.
 */
function tempPathFor(path: string): string {
  const random = Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return join(dirname(path), `.${basename(path)}.${process.pid}.${random}.tmp`);
}

export interface AtomicWriteOptions {
  /**
   * fsync the temp file before the rename (default true). Only a file that can be rebuilt, or whose
   * loss costs nothing but speed (a cache, the digest's record of what it showed), is written
   * without: readers still never see a torn file (the rename is atomic, and a killed process leaves
   * what it wrote in the page cache), but after an operating-system crash it may be empty or old,
   * which such a caller must read as absent.
   */
  durable?: boolean;
}

/**
 * Writes `data` to a unique hidden temp file beside `path` (fsynced unless `durable` is false) and
 * returns the temp's path. A failed write leaves no temp behind (on a full disk it would hold space
 * for ever).
 */
async function writeTempBeside(path: string, data: string | Uint8Array, durable: boolean): Promise<string> {
  const dir = dirname(path);
  const temp = tempPathFor(path);
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(dir, { recursive: true });
      const handle = await open(temp, 'wx', 0o644);
      try {
        await handle.writeFile(data);
        if (durable) await handle.sync();
      } catch (err) {
        await handle.close().catch(() => {});
        await unlink(temp).catch(() => {});
        throw err;
      }
      await handle.close();
      return temp;
    } catch (err) {
      // Another process may remove an empty parent folder between mkdir and open.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
      throw err;
    }
  }
}

/**
 * Writes a file so that readers see the old content or the new, never a torn one:
 * a unique hidden temp file in the same folder, fsync, then rename over the target.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = await writeTempBeside(path, data, options.durable !== false);
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/**
 * Creates a file that must never be overwritten (messages): the content goes to a hidden temp file,
 * is fsynced, then hard-linked to the target name. link() fails with EEXIST when the name is taken, so
 * two writers can never both win, and readers never see a half-written file. Returns false (and
 * writes nothing) when the target already exists.
 */
export async function createFileExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
  const temp = await writeTempBeside(path, data, true);
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Removes the temp files of writers that died mid-write (kill -9, a crash) under `dir`: names made by
 * writeFileAtomic whose process is gone. A live writer's temp is never touched. Returns how many.
 */
export async function removeStaleTemps(dir: string): Promise<number> {
  let removed = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== '.git') removed += await removeStaleTemps(path);
    const match = entry.isFile() ? TEMP_NAME.exec(entry.name) : null;
    if (match && !processAlive(Number(match[1]))) {
      await unlink(path).then(() => removed++, () => {});
    }
  }
  return removed;
}
