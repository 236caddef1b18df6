import { lstatSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { ioError } from './errors.js';
import { lstatStamp, stamp } from './file-stamp-sync.js';
import { isIgnoredName, isValidKey, isValidKeyIn, isValidKeyFolder, keyProblemOfFile } from './keys.js';

/** What a stat says about a memory file: enough to trust it unchanged without reading it. */
export interface FileStamp {
  mtimeMs: number;
  size: number;
}

/** A memory file found by a walk. */
export interface FoundMemoryFile {
  key: string;
  path: string;
}

export interface WalkOptions {
  /** Walk only under this `/`-ended key prefix ('' or undefined = the whole room). */
  under?: string;
  /** Told of each `.md` file or folder that looks meant as a memory but is not one (and why), so callers can warn. */
  onSkipped?: (path: string, reason: string) => void;
  /**
   * Pass over a folder inside the room that cannot be read (EACCES, …) instead of failing the walk
   * (it is reported through `onSkipped`); a vanished folder is always passed over. The walk's own
   * start folder failing is always an error.
   */
  skipUnreadable?: boolean;
  /** Key folders (each ending in `/`, e.g. `messages/`) left out without being walked into. */
  skip?: readonly string[];
}

/**
 * The one decision a walk makes per directory entry, shared by the sync and the async walker:
 * descend into a folder, take a file as a memory, or pass over it. Built on the key rule in keys.ts,
 * so a walk finds exactly the files the watcher reports and git commits.
 */
function visitEntry(
  entry: Dirent,
  folder: string,
  prefix: string,
  options: WalkOptions,
): { descend: string; prefix: string } | FoundMemoryFile | null {
  const path = join(folder, entry.name);
  if (entry.name.startsWith('.')) return null; // hidden: .git, our temp files, editor locks
  if (isIgnoredName(entry.name)) {
    if (entry.isDirectory()) options.onSkipped?.(path, 'a folder with a scratch name (temp, swap, backup) holds no memories; rename it');
    return null;
  }
  if (entry.isSymbolicLink()) {
    // Links inside a room are never followed: one could point anywhere on the machine.
    options.onSkipped?.(path, 'it is a symlink (mycelium never follows symlinks in a room)');
    return null;
  }
  if (entry.isDirectory()) {
    const inner = `${prefix}${entry.name}/`;
    return options.skip?.includes(inner) ? null : { descend: path, prefix: inner };
  }
  if (!entry.name.endsWith('.md')) return null;
  if (!entry.isFile()) {
    options.onSkipped?.(path, 'it is not a regular file');
    return null;
  }
  const key = prefix + entry.name.slice(0, -3);
  if (isValidKey(key)) return { key, path };
  options.onSkipped?.(path, keyProblemOfFile(key));
  return null;
}

/**
 * Where a walk starts: the room folder, or the folder `under` names. null when a folder on the way
 * is missing, or is a symlink or no folder at all (reported): a link is never followed into.
 */
function startOf(dir: string, under: string | undefined, options: WalkOptions): { folder: string; prefix: string } | null {
  const segments = (under ?? '').split('/').filter(Boolean);
  let at = dir;
  for (const segment of segments) {
    at = join(at, segment);
    let info;
    try {
      info = lstatSync(at);
    } catch {
      return null; // not there (yet): nothing under it
    }
    if (!info.isDirectory()) {
      if (info.isSymbolicLink()) options.onSkipped?.(at, 'it is a symlink (mycelium never follows symlinks in a room)');
      return null;
    }
  }
  return { folder: at, prefix: segments.length > 0 ? `${segments.join('/')}/` : '' };
}

/** Whether a walk passes over a folder it cannot read: gone, or (if asked) unreadable inside the room. */
function passOver(err: unknown, folder: string, startFolder: string, options: WalkOptions): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return true;
  if (!options.skipUnreadable || folder === startFolder) return false;
  // An unreadable folder inside the room hides its own files only.
  options.onSkipped?.(folder, `cannot read it (${code ?? 'EIO'})`);
  return true;
}

/** Every memory file under a room folder, in walk order (async form). A folder that vanishes is skipped. */
export async function walkMemoryFiles(dir: string, options: WalkOptions = {}): Promise<FoundMemoryFile[]> {
  const found: FoundMemoryFile[] = [];
  const start = startOf(dir, options.under, options);
  if (!start) return [];
  const walk = async (folder: string, prefix: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (err) {
      if (!passOver(err, folder, start.folder, options)) throw ioError('read', folder, err);
      return;
    }
    for (const entry of entries) {
      const step = visitEntry(entry, folder, prefix, options);
      if (step === null) continue;
      if ('descend' in step) await walk(step.descend, step.prefix);
      else found.push(step);
    }
  };
  await walk(start.folder, start.prefix);
  return found;
}

/** The same walk, synchronous (for thousands of small entries sync calls beat awaiting each one). */
export function walkMemoryFilesSync(dir: string, options: WalkOptions = {}): FoundMemoryFile[] {
  const found: FoundMemoryFile[] = [];
  const start = startOf(dir, options.under, options);
  if (!start) return [];
  const walk = (folder: string, prefix: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (err) {
      if (!passOver(err, folder, start.folder, options)) throw ioError('read', folder, err);
      return;
    }
    for (const entry of entries) {
      const step = visitEntry(entry, folder, prefix, options);
      if (step === null) continue;
      if ('descend' in step) walk(step.descend, step.prefix);
      else found.push(step);
    }
  };
  walk(start.folder, start.prefix);
  return found;
}

const DOT = 46;

/**
 * What a stat walk saw of one folder of a room: the folder's own stamp and its entries in readdir
 * order, memory keys and subfolders (their key prefix, ending in `/`). Adding, removing or renaming
 * an entry changes a folder's mtime; editing a file in place changes only the file's. So while a
 * folder's mtime and inode are what they were, the walk can take its entries from here instead of
 * reading the folder, and still stats each file (an edit in place is always seen).
 */
export interface FolderListing {
  mtimeMs: number;
  ino: number;
  entries: string[];
}

export interface WalkRoomOptions {
  /** What an earlier walk saw of a folder, by key prefix (`''` = the room folder, `a/b/` = a folder). */
  known?: (prefix: string) => FolderListing | undefined;
  /**
   * Told of what this walk saw of each folder, to pass as `known` next time. A folder changed in the
   * last FOLDER_TIME_SLACK_MS is not told: a change made within the same clock tick as the stat
   * would leave its mtime as it was.
   */
  record?: (prefix: string, listing: FolderListing) => void;
}

/** How old a folder's mtime must be before a listing of it is trusted (file systems with 2 s times included). */
export const FOLDER_TIME_SLACK_MS = 2_000;

/**
 * The stat walk: every memory file of a room folder with its stamp, by key; reads no file. Used by
 * the index reconcile, sync and the change feed. Synchronous on purpose: for thousands of small
 * stats, sync calls are several times faster than awaiting each one through the thread pool, and the
 * caller has nothing else to do meanwhile.
 */
export function scanRoom(dir: string, options: WalkRoomOptions = {}): Map<string, FileStamp> {
  const found = new Map<string, FileStamp>();
  walkRoom(dir, (key, mtimeMs, size) => found.set(key, { mtimeMs, size }), options);
  return found;
}

/**
 * The stat walk itself: calls `visit` for every memory file of a room folder, in readdir order (the
 * same order again while a folder is unchanged), with its stamp. Allocates nothing per file, for
 * the reconcile of a one-shot search, which compares as it goes. Takes exactly the keys the walkers
 * above take (the same key rule from keys.ts, asked per folder once: `isValidKeyFolder`,
 * `isValidKeyIn`), silently: it never warns. With `options.known`, a folder whose stamp is unchanged
 * is not read: its files are taken from the listing, and each is still stat-ed.
 */
export function walkRoom(dir: string, visit: (key: string, mtimeMs: number, size: number) => void, options: WalkRoomOptions = {}): void {
  // Hot loop (38k files in ~0.1 s when idle): paths are concatenated rather than path.join-ed, a
  // folder's name is checked once rather than with every key under it, and a file gone meanwhile is
  // an undefined stat rather than a thrown error.
  const { known, record } = options;
  const stamped = known !== undefined || record !== undefined;
  const trustBefore = Date.now() - FOLDER_TIME_SLACK_MS;
  const statFileAt = (path: string, key: string): void => {
    // lstat: a file swapped for a symlink since the readdir is no memory (never followed in a room).
    // False too when removed while we walked.
    if (lstatStamp(path, dir)) visit(key, stamp.mtimeMs, stamp.size);
  };
  const walk = (folder: string, prefix: string): void => {
    // The folder's stamp is taken before it is read: a change after the stat moves the mtime past it.
    let stamp;
    if (stamped) {
      // The room folder itself may be a symlink (a room added in place): followed. Folders inside are not.
      stamp = prefix === '' ? statSync(folder, { throwIfNoEntry: false }) : lstatSync(folder, { throwIfNoEntry: false });
      if (!stamp?.isDirectory()) return; // gone, or no folder (any more)
      const listing = known?.(prefix);
      if (listing && listing.mtimeMs === stamp.mtimeMs && listing.ino === stamp.ino) {
        for (const entry of listing.entries) {
          if (entry.endsWith('/')) walk(folder + sep + entry.slice(prefix.length, -1), entry);
          else statFileAt(folder + sep + entry.slice(prefix.length) + '.md', entry);
        }
        record?.(prefix, listing);
        return;
      }
    }
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw ioError('read', folder, err);
    }
    const seen: string[] | null = record && stamp && stamp.mtimeMs < trustBefore ? [] : null;
    for (const entry of entries) {
      const name = entry.name;
      if (name.charCodeAt(0) === DOT) continue;
      if (entry.isDirectory()) {
        // Not a key folder (bad name, or a scratch name the watcher and git ignore): no key below it is valid.
        if (!isValidKeyFolder(name)) continue;
        const inner = `${prefix}${name}/`;
        seen?.push(inner);
        walk(folder + sep + name, inner);
      } else if (entry.isFile() && name.endsWith('.md')) {
        const last = name.slice(0, -3);
        if (!isValidKeyIn(prefix, last)) continue;
        const key = prefix + last;
        seen?.push(key);
        statFileAt(folder + sep + name, key);
      }
    }
    if (seen) record!(prefix, { mtimeMs: stamp!.mtimeMs, ino: stamp!.ino, entries: seen });
  };
  walk(dir, '');
}

/**
 * Every memory key under a room folder, sorted; names that are not keys, symlinks, special files and
 * unreadable folders are skipped with a warning. `folder` (e.g. `decisions`) walks only that part.
 */
export async function memoryKeysIn(roomDir: string, warnings: string[] = [], folder = '', skip?: readonly string[]): Promise<string[]> {
  const found = await walkMemoryFiles(roomDir, {
    under: folder,
    skip,
    skipUnreadable: true,
    onSkipped: (path, reason) => warnings.push(`warning: ${path}: skipped, ${reason}`),
  });
  return found.map((f) => f.key).sort();
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
