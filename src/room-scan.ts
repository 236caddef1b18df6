import { readdirSync, statSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { ioError } from './errors.js';
import { isValidKey } from './keys.js';

/** What a stat says about a memory file: enough to trust it unchanged without reading it. */
export interface FileStamp {
  mtimeMs: number;
  size: number;
}

/**
 * The stat walk: every memory file of a room folder with its stamp, by key; reads no file. Used by
 * the index reconcile, sync and the change feed. Synchronous on purpose: for thousands of small
 * stats, sync calls are several times faster than awaiting each one through the thread pool, and the
 * caller has nothing else to do meanwhile. Skips what `Room.keys` skips (hidden entries, non-keys).
 */
export function scanRoom(dir: string): Map<string, FileStamp> {
  const found = new Map<string, FileStamp>();
  const walk = (folder: string, prefix: string): void => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw ioError('read', folder, err);
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) walk(join(folder, entry.name), `${prefix}${entry.name}/`);
      else if (entry.isFile() && entry.name.endsWith('.md')) {
        const key = prefix + entry.name.slice(0, -3);
        if (!isValidKey(key)) continue;
        try {
          const info = statSync(join(folder, entry.name));
          found.set(key, { mtimeMs: info.mtimeMs, size: info.size });
        } catch {
          // removed while we walked
        }
      }
    }
  };
  walk(dir, '');
  return found;
}

/** A fresh stat of one file; null when it is gone (or is no longer a regular file: a symlink is none). */
export async function statFile(path: string): Promise<FileStamp | null> {
  try {
    const s = await lstat(path);
    return s.isFile() ? { mtimeMs: s.mtimeMs, size: s.size } : null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw ioError('stat', path, err);
  }
}
