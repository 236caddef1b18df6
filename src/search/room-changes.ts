import { watch, type FSWatcher } from 'node:fs';
import { isIgnoredPath, keyOfFile } from '../keys.js';

/**
 * What changed in a room folder since the last look, for an index kept open between searches (the
 * MCP and HTTP servers without a daemon): a recursive `fs.watch` collects the memory files named by
 * events, so a search refreshes those instead of stat-walking the whole room.
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
  private watcher: FSWatcher | null = null;

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
      this.watcher = watch(this.dir, { recursive: true }, (_event, name) => this.note(name));
      this.watcher.on('error', () => {
        this.close();
        this.all = true;
      });
      this.watcher.unref(); // never what keeps a process alive
      this.all = true;
    } catch {
      this.watcher = null; // no watcher (inotify limits, a platform without recursive watch): stat walks
    }
  }

  private note(name: string | Buffer | null): void {
    const path = name === null ? null : String(name).replaceAll('\\', '/');
    if (path === null) return void (this.all = true);
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (isIgnoredPath(path)) return; // temp files of atomic writes, hidden and scratch folders
    if (!base.endsWith('.md')) return void (this.all = true); // a folder (or another file): walk
    const key = keyOfFile(path);
    if (key) this.keys.add(key);
  }
}
