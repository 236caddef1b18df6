import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ioError } from '../errors.js';
import { memoryKeysIn } from '../room.js';

/** What a stat says about a memory file: enough to tell whether it changed. */
export interface FileStat {
  mtimeMs: number;
  size: number;
}

/** Files stat'ed at once: enough to keep the disk busy without holding thousands of handles. */
const STAT_BATCH = 512;

/**
 * The stat walk: every memory file of a room (`*.md` whose name is a valid key; hidden files and
 * folders skipped, as `memory ls` does) with its mtime and size. Reads no file.
 */
export async function statRoom(roomDir: string): Promise<Map<string, FileStat>> {
  const keys = await memoryKeysIn(roomDir);
  const found = new Map<string, FileStat>();
  for (let i = 0; i < keys.length; i += STAT_BATCH) {
    const batch = keys.slice(i, i + STAT_BATCH);
    const stats = await Promise.all(batch.map((key) => statFile(join(roomDir, `${key}.md`))));
    batch.forEach((key, j) => {
      const s = stats[j];
      if (s) found.set(key, s);
    });
  }
  return found;
}

/** A fresh stat of one file; null when it is gone (or is no longer a file). */
export async function statFile(path: string): Promise<FileStat | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { mtimeMs: s.mtimeMs, size: s.size } : null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw ioError('stat', path, err);
  }
}
