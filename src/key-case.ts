import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { foldKey } from './keys.js';

/**
 * The existing key (or folder) that `key` differs from only in case (or in Unicode normal form), or
 * null. A checkout on a case-insensitive file system (macOS, Windows) would make the two one file,
 * so a new key with such a twin is refused. Reads only the folders on the key's path, and a folder's
 * listing only when the exact name is not there.
 */
export async function caseTwinOf(roomDir: string, key: string): Promise<string | null> {
  const segments = key.split('/');
  let dir = roomDir;
  for (let i = 0; i < segments.length; i++) {
    const last = i === segments.length - 1;
    const name = last ? `${segments[i]}.md` : segments[i];
    if (await lstat(join(dir, name)).then(() => true, () => false)) {
      dir = join(dir, name);
      continue;
    }
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      return null; // the folder is not there: nothing below it to collide with
    }
    if (entries.includes(name)) {
      dir = join(dir, name); // made by another writer a moment ago
      continue;
    }
    const fold = foldKey(name);
    const twin = entries.find((entry) => foldKey(entry) === fold);
    if (twin === undefined) return null;
    const prefix = segments.slice(0, i).join('/');
    const shown = last ? twin.slice(0, -3) : `${twin}/`;
    return prefix ? `${prefix}/${shown}` : shown;
  }
  return null;
}
