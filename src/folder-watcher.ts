import { lstatSync, readdirSync, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { sep } from 'node:path';

/** What a folder tree reports: "look again" hints by `/`-separated path relative to the root. */
export interface FolderHints {
  /** Something happened to this entry of a watched folder (a file written, created, removed, or a name gone). */
  onEntry(rel: string): void;
  /** A folder appeared (or a watched folder must be read again): its files may not be reported one by one. */
  onFolderAdded(rel: string): void;
  /** A watched folder went away (removed, renamed or replaced). */
  onFolderGone(rel: string): void;
  onError(err: Error): void;
}

export interface FolderWatchOptions {
  /** Entries never watched nor reported (a `/`-separated path relative to the root). */
  ignored(rel: string): boolean;
  /** Follow a symlink to a folder at these depths (1 = the root's own entries); deeper ones are not followed. */
  followLinksAtDepth?: number;
  /** Keep the process alive while watching (default true; false for a cache that must never hold a process open). */
  persistent?: boolean;
}

/**
 * A tree of plain (non-recursive) `fs.watch`es, one per folder: the kernel names every file created,
 * written, renamed or removed in a watched folder, so no file needs a watch of its own. At 38k files
 * in 396 folders that is 396 watches instead of one per file (chokidar, and Node 20's recursive
 * `fs.watch` on Linux, hold one per file: ~300 MB and seconds of start-up there). Hints only: the
 * caller stats and reads to decide what really changed.
 */
export class FolderWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private closed = false;

  private constructor(
    private readonly root: string,
    private readonly hints: FolderHints,
    private readonly options: FolderWatchOptions,
  ) {}

  /** Watches `root` and every folder below it that is not ignored; returns once all watches are set. */
  static start(root: string, hints: FolderHints, options: FolderWatchOptions): FolderWatcher {
    const watcher = new FolderWatcher(root, hints, options);
    watcher.watchTree('');
    return watcher;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** How many folders are watched (for status and benches). */
  get folders(): number {
    return this.watchers.size;
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : this.root + sep + rel.split('/').join(sep);
  }

  private statOf(rel: string): Stats | undefined {
    const depth = rel === '' ? 0 : rel.split('/').length;
    const follow = depth <= (this.options.followLinksAtDepth ?? 0);
    try {
      return (follow ? statSync : lstatSync)(this.abs(rel), { throwIfNoEntry: false });
    } catch {
      return undefined; // e.g. a link to nowhere, or a permission error: nothing to watch there
    }
  }

  private watchTree(rel: string): void {
    if (this.closed || this.watchers.has(rel)) return;
    let w: FSWatcher;
    try {
      w = watch(this.abs(rel), { persistent: this.options.persistent ?? true }, (event, name) => this.onEvent(rel, event, name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return; // gone already: its parent reports it
      return this.hints.onError(err as Error); // e.g. ENOSPC: out of inotify watches
    }
    w.on('error', (err) => {
      this.unwatchTree(rel);
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') this.hints.onError(err);
    });
    this.watchers.set(rel, w);
    let entries;
    try {
      entries = readdirSync(this.abs(rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (this.options.ignored(child)) continue;
      if (entry.isDirectory() || (entry.isSymbolicLink() && this.statOf(child)?.isDirectory())) this.watchTree(child);
    }
  }

  private unwatchTree(rel: string): boolean {
    let any = false;
    for (const [path, w] of this.watchers) {
      if (path === rel || path.startsWith(rel === '' ? '' : `${rel}/`)) {
        w.close();
        this.watchers.delete(path);
        any = true;
      }
    }
    return any;
  }

  private onEvent(folder: string, event: string, name: string | Buffer | null): void {
    if (this.closed) return;
    if (name === null) {
      // The platform could not say what changed: read the whole folder again.
      return this.hints.onFolderAdded(folder);
    }
    const child = folder === '' ? String(name) : `${folder}/${String(name).split(sep).join('/')}`;
    if (this.options.ignored(child)) return;
    const info = this.statOf(child);
    if (info?.isDirectory()) {
      if (event === 'change' && this.watchers.has(child)) return; // its attributes changed (touch, chmod): its own watch sees its files
      // Created, moved in, or replaced: watch it afresh (an old watch may follow an inode moved
      // elsewhere), then have it read, so files that landed before the watch are seen too.
      if (this.unwatchTree(child)) this.hints.onFolderGone(child);
      this.watchTree(child);
      return this.hints.onFolderAdded(child);
    }
    if (this.unwatchTree(child)) this.hints.onFolderGone(child);
    this.hints.onEntry(child);
  }
}
