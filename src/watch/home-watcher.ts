import { mkdir } from 'node:fs/promises';
import { roomsDir } from '../config.js';
import { FolderWatcher } from '../folder-watcher.js';
import { isIgnoredPath, isValidKey, keyOfFile } from '../keys.js';

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
 * One watcher over `$MYCELIUM_HOME/rooms` (a watch per folder, see `FolderWatcher`), so rooms created
 * or removed while running are seen, and a room that is a symlink (`room add`) is followed. Ignored
 * names (temp, swap, backup, hidden, .git) never reach the handlers.
 */
export class HomeWatcher {
  private constructor(private readonly watcher: FolderWatcher) {}

  /** Starts watching `only` rooms (or every room); resolves once every folder is watched. */
  static async start(home: string, handlers: HomeWatcherHandlers, only?: string): Promise<HomeWatcher> {
    const root = roomsDir(home);
    await mkdir(root, { recursive: true });
    const split = (rel: string): { room: string; rest: string } | null => {
      const slash = rel.indexOf('/');
      const room = slash === -1 ? rel : rel.slice(0, slash);
      if (!isValidKey(room) || (only && room !== only)) return null;
      return { room, rest: slash === -1 ? '' : rel.slice(slash + 1) };
    };
    const watcher = FolderWatcher.start(
      root,
      {
        onEntry: (rel) => {
          const where = split(rel);
          if (!where) return;
          if (where.rest === '') return handlers.onRoom(where.room, false); // not a folder (any more)
          const key = keyOfFile(where.rest);
          if (key) handlers.onKey(where.room, key);
        },
        onFolderAdded: (rel) => {
          if (rel === '') return; // the rooms folder itself was read again: every room may have changed
          const where = split(rel);
          if (!where) return;
          if (where.rest === '') return handlers.onRoom(where.room, true);
          handlers.onFolderAdded(where.room, where.rest + '/');
          // A folder can take the name of a memory file (x.md deleted, folder x.md made at once): the
          // file's own event may be folded into the folder's, so the key is read again (gone: deleted).
          const key = keyOfFile(where.rest);
          if (key) handlers.onKey(where.room, key);
        },
        onFolderGone: (rel) => {
          const where = split(rel);
          if (!where) return;
          if (where.rest === '') handlers.onRoom(where.room, false);
          else handlers.onFolderGone(where.room, where.rest + '/');
        },
        onError: (err) => handlers.onError?.(err),
      },
      {
        ignored: (rel) => isIgnoredPath(rel) || (only !== undefined && rel.split('/')[0] !== only),
        followLinksAtDepth: 1, // a room may be a symlink to its folder; links inside rooms are not followed
      },
    );
    return new HomeWatcher(watcher);
  }

  async close(): Promise<void> {
    this.watcher.close();
  }
}
