import { FolderWatcher } from '../folder-watcher.js';
import { isIgnoredPath, keyOfFile } from '../keys.js';

/**
 * What changed in a room folder since the last look, for an index kept open between searches (the
 * MCP and HTTP servers without a daemon): a watch per folder (`FolderWatcher`) collects the memory
 * files named by events, so a search refreshes those instead of stat-walking the whole room.
 *
 * Never stale: the kernel queues an event when a file is written, and `take()` lets the event loop
 * run its poll phase before answering, so every change made before the call is seen. Whenever the
 * events cannot name the files (a folder created, renamed or removed, the watcher failing, the first
 * look), `take()` answers 'all' and the caller does the full stat walk.
 */
export class RoomChanges {
  private keys = new Set<string>();
  /** The next look must be a full stat walk. */
  private all = true;
  private watcher: FolderWatcher | null = null;

  constructor(private readonly dir: string) {
    this.start();
  }

  /** The keys changed since the last call, or 'all' when only a stat walk can tell. */
  async take(): Promise<string[] | 'all'> {
    if (!this.watcher) this.start();
    // Two turns of the event loop: the poll phase between them delivers the queued events.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    if (this.all || !this.watcher) {
      this.all = false;
      this.keys.clear();
      return 'all';
    }
    const keys = [...this.keys];
    this.keys.clear();
    return keys;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  private start(): void {
    try {
      this.watcher = FolderWatcher.start(
        this.dir,
        {
          onEntry: (rel) => this.note(rel),
          onFolderAdded: () => void (this.all = true),
          onFolderGone: () => void (this.all = true),
          onError: () => {
            this.close();
            this.all = true;
          },
        },
        { ignored: isIgnoredPath, persistent: false }, // never what keeps a process alive
      );
      this.all = true;
    } catch {
      this.watcher = null; // no watcher (inotify limits, a platform without fs.watch): stat walks
    }
  }

  private note(rel: string): void {
    if (!rel.endsWith('.md')) return; // not a memory file (folders come as onFolderAdded/onFolderGone)
    const key = keyOfFile(rel);
    if (key) this.keys.add(key);
  }
}
