import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { roomsDir } from '../config.js';
import { isIgnoredName, isIgnoredPath, isValidKey, keyOfFile } from '../keys.js';

/** What the home watcher reports: raw "look again" hints, already mapped to rooms and keys. */
export interface HomeWatcherHandlers {
  /** Something happened to the file that holds `key` (add, change or unlink: the state decides). */
  onKey(room: string, key: string): void;
  /** A folder inside a room went away: every key under `prefix` ('' = the whole room) needs a look. */
  onFolderGone(room: string, prefix: string): void;
  /** A folder appeared inside a room: its files may not all be reported one by one. */
  onFolderAdded(room: string, prefix: string): void;
  /** A room folder appeared or disappeared. */
  onRoom(room: string, present: boolean): void;
  onError?(err: Error): void;
}

/**
 * One chokidar watcher over `$MYCELIUM_HOME/rooms`, so rooms created or removed while running are
 * seen. Ignored names (temp, swap, backup, hidden, .git) never reach the handlers. This is the only
 * module that knows chokidar's event names.
 */
export class HomeWatcher {
  private constructor(private readonly watcher: FSWatcher) {}

  /** Starts watching `only` rooms (or every room); resolves once the initial scan is done. */
  static async start(home: string, handlers: HomeWatcherHandlers, only?: string): Promise<HomeWatcher> {
    const root = roomsDir(home);
    await mkdir(root, { recursive: true });
    const split = (path: string): { room: string; rest: string } | null => {
      const rel = relative(root, path).split(sep).join('/');
      if (rel === '' || rel.startsWith('..')) return null;
      const slash = rel.indexOf('/');
      const room = slash === -1 ? rel : rel.slice(0, slash);
      if (!isValidKey(room) || room.includes('/') || (only && room !== only)) return null;
      return { room, rest: slash === -1 ? '' : rel.slice(slash + 1) };
    };
    const watcher = watch(root, {
      ignoreInitial: true,
      persistent: true,
      // A symlink in a room is never followed (it could lead anywhere on the disk).
      followSymlinks: false,
      ignored: (path: string) => {
        const rel = relative(root, path).split(sep).join('/');
        if (rel === '' || rel.startsWith('..')) return false;
        if (isIgnoredPath(rel)) return true;
        return only !== undefined && rel.split('/')[0] !== only;
      },
    });
    const onFile = (path: string) => {
      const where = split(path);
      const key = where && where.rest ? keyOfFile(where.rest) : null;
      if (where && key) handlers.onKey(where.room, key);
    };
    watcher.on('add', onFile).on('change', onFile).on('unlink', onFile);
    // chokidar drops a change whose mtime and size match the previous one (sed -i right after a
    // write), so raw notifications count too: a hint costs one stat, a missed edit costs a stale index.
    watcher.on('raw', (_event, name, details) => {
      const watched = (details as { watchedPath?: string } | undefined)?.watchedPath;
      if (typeof name !== 'string' || !watched) return;
      // A room folder made or removed: chokidar can miss a fast `rm -r` of a whole folder.
      if (watched === root) return void (isValidKey(name) && (!only || name === only) && handlers.onRoom(name, existsSync(join(root, name))));
      if (basename(watched) === name) onFile(watched);
      onFile(join(watched, name));
    });
    watcher.on('addDir', (path) => {
      const where = split(path);
      if (!where) return;
      if (where.rest === '') handlers.onRoom(where.room, true);
      else handlers.onFolderAdded(where.room, where.rest + '/');
    });
    watcher.on('unlinkDir', (path) => {
      const where = split(path);
      if (!where) return;
      if (where.rest === '') handlers.onRoom(where.room, false);
      else if (!where.rest.split('/').some(isIgnoredName)) handlers.onFolderGone(where.room, where.rest + '/');
    });
    watcher.on('error', (err) => handlers.onError?.(err as Error));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    return new HomeWatcher(watcher);
  }

  async close(): Promise<void> {
    await this.watcher.close();
  }
}
