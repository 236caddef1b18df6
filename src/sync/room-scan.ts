import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isValidKey } from '../keys.js';

/** What a stat says about a memory file: enough to trust it unchanged without reading it. */
export interface FileStamp {
  mtimeMs: number;
  size: number;
}

/**
 * Every memory file of a room folder with its stamp, by key. Synchronous on purpose: for the
 * thousands of small stats a sync or feed check makes, sync calls are several times faster than
 * awaiting each one, and the walk is short. Skips what `Room.keys` skips (hidden entries, non-keys).
 */
export function scanRoom(dir: string): Map<string, FileStamp> {
  const found = new Map<string, FileStamp>();
  const walk = (folder: string, prefix: string): void => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
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
