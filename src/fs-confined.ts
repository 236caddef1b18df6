import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { UnsafeFileError, ioError } from './errors.js';

// A room is a folder of regular files. A symlink inside it (made by hand, or arriving from a peer)
// could make a read return, or a write replace, a file outside the room, and a FIFO would block
// every reader. So nothing below a room's folder is ever followed or opened unless it is a real
// folder or a regular file. The room's folder itself may be a link (people move homes around).

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Reads a regular file below `root`, following no symlink below `root`; undefined when it is not there. */
export async function readConfined(root: string, path: string): Promise<Buffer | undefined> {
  if (!(await parentsAreFolders(root, path))) return undefined;
  let handle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw symlinkError(root, path);
    throw readFailed(path, err);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) return undefined;
    if (!info.isFile()) throw notRegularError(root, path);
    return await handle.readFile();
  } catch (err) {
    if (err instanceof UnsafeFileError) throw err;
    throw readFailed(path, err);
  } finally {
    await handle.close();
  }
}

/**
 * Checks that a write to `path` stays in the room: every folder between `root` and the file is a
 * real folder (or missing), and the file is a regular file (or missing). Throws UnsafeFileError.
 */
export async function checkWritable(root: string, path: string): Promise<void> {
  await parentsAreFolders(root, path);
  const info = await lstat(path).catch(() => undefined);
  if (!info || info.isFile()) return;
  if (info.isSymbolicLink()) throw symlinkError(root, path);
  if (!info.isDirectory()) throw notRegularError(root, path);
}

/** True when every folder between root and path exists and is no symlink; false when one is missing. */
async function parentsAreFolders(root: string, path: string): Promise<boolean> {
  const parts = relative(root, path).split(sep).slice(0, -1);
  let at = root;
  for (const part of parts) {
    at = `${at}${sep}${part}`;
    let info;
    try {
      info = await lstat(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw readFailed(at, err);
    }
    if (info.isSymbolicLink()) throw symlinkError(root, at);
    if (!info.isDirectory()) return false;
  }
  return true;
}

function symlinkError(root: string, path: string): UnsafeFileError {
  return new UnsafeFileError(
    `'${relative(root, path)}' in the room is a symlink; mycelium never follows symlinks in a room: replace it with a real file or folder`,
  );
}

function notRegularError(root: string, path: string): UnsafeFileError {
  return new UnsafeFileError(`'${relative(root, path)}' in the room is not a regular file (a FIFO, socket or device); remove it`);
}

/** An IoError whose cause is the fs error, so callers that report the errno can find it. */
function readFailed(path: string, err: unknown): Error {
  return Object.assign(ioError('read', path, err), { cause: err });
}

/**
 * The names of the regular files in one folder below a room, for a reader that lists a folder of
 * its own (claims) instead of walking the room: [] when the folder is missing, a link (never
 * followed) or no folder. The caller's name rule decides which names are its files.
 */
export function regularFilesIn(dir: string): string[] {
  try {
    if (!lstatSync(dir).isDirectory()) return [];
    return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw readFailed(dir, err);
  }
}

/**
 * Reads a regular file synchronously, never through a link swapped in after a listing and never
 * blocking on a FIFO; undefined when it is gone or not a regular file. Synchronous on purpose: for
 * many small files a sync read costs a fraction of a promise round trip through the thread pool.
 */
export function readRegularFileSync(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return undefined;
    let buffer = Buffer.allocUnsafe(info.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) return buffer.toString('utf8', 0, length);
      length += n;
    }
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
