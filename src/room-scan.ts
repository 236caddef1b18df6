import { readdirSync, statSync, type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ioError } from './errors.js';
import { isIgnoredName, isValidKey } from './keys.js';

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
  /** Pass over a folder that cannot be read (EACCES, …) instead of failing the walk; a vanished folder is always passed over. */
  skipUnreadable?: boolean;
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
  if (entry.isDirectory()) return { descend: path, prefix: `${prefix}${entry.name}/` };
  if (!entry.isFile() || !entry.name.endsWith('.md')) return null;
  const key = prefix + entry.name.slice(0, -3);
  if (isValidKey(key)) return { key, path };
  options.onSkipped?.(path, "its name is not a valid key (use letters, digits, '.', '_', '-')");
  return null;
}

function startOf(dir: string, under: string | undefined): { folder: string; prefix: string } {
  const segments = (under ?? '').split('/').filter(Boolean);
  return { folder: segments.length > 0 ? join(dir, ...segments) : dir, prefix: segments.length > 0 ? `${segments.join('/')}/` : '' };
}

function unreadable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Every memory file under a room folder, in walk order (async form). A folder that vanishes is skipped. */
export async function walkMemoryFiles(dir: string, options: WalkOptions = {}): Promise<FoundMemoryFile[]> {
  const found: FoundMemoryFile[] = [];
  const walk = async (folder: string, prefix: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (err) {
      if (unreadable(err) || options.skipUnreadable) return;
      throw ioError('read', folder, err);
    }
    for (const entry of entries) {
      const step = visitEntry(entry, folder, prefix, options);
      if (step === null) continue;
      if ('descend' in step) await walk(step.descend, step.prefix);
      else found.push(step);
    }
  };
  const start = startOf(dir, options.under);
  await walk(start.folder, start.prefix);
  return found;
}

/** The same walk, synchronous (for thousands of small entries sync calls beat awaiting each one). */
export function walkMemoryFilesSync(dir: string, options: WalkOptions = {}): FoundMemoryFile[] {
  const found: FoundMemoryFile[] = [];
  const walk = (folder: string, prefix: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (err) {
      if (unreadable(err) || options.skipUnreadable) return;
      throw ioError('read', folder, err);
    }
    for (const entry of entries) {
      const step = visitEntry(entry, folder, prefix, options);
      if (step === null) continue;
      if ('descend' in step) walk(step.descend, step.prefix);
      else found.push(step);
    }
  };
  const start = startOf(dir, options.under);
  walk(start.folder, start.prefix);
  return found;
}

/**
 * The stat walk: every memory file of a room folder with its stamp, by key; reads no file. Used by
 * the index reconcile, sync and the change feed. Synchronous on purpose: for thousands of small
 * stats, sync calls are several times faster than awaiting each one through the thread pool, and the
 * caller has nothing else to do meanwhile.
 */
export function scanRoom(dir: string, options: WalkOptions = {}): Map<string, FileStamp> {
  const stamps = new Map<string, FileStamp>();
  for (const { key, path } of walkMemoryFilesSync(dir, options)) {
    try {
      const info = statSync(path);
      stamps.set(key, { mtimeMs: info.mtimeMs, size: info.size });
    } catch {
      // removed while we walked
    }
  }
  return stamps;
}

/** Every memory key under a room folder, sorted; names that are not keys are skipped with a warning. */
export async function memoryKeysIn(roomDir: string, warnings: string[] = []): Promise<string[]> {
  const found = await walkMemoryFiles(roomDir, { onSkipped: (path, reason) => warnings.push(`warning: ${path}: skipped, ${reason}`) });
  return found.map((f) => f.key).sort();
}

/** A fresh stat of one file; null when it is gone (or is no longer a file). */
export async function statFile(path: string): Promise<FileStamp | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { mtimeMs: s.mtimeMs, size: s.size } : null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw ioError('stat', path, err);
  }
}
