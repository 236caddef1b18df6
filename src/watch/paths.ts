import { isValidKey } from '../keys.js';

/**
 * Which paths inside a room are memories, and which are noise the watcher must never report:
 * editor temp/swap/backup files, our own atomic-write temp files (`.<name>.<pid>.<hex>.tmp`),
 * hidden files and folders, and `.git`.
 */
export function isIgnoredName(name: string): boolean {
  return (
    name.startsWith('.') || // hidden files and folders, .git, emacs lock files `.#x`, our temp files
    name.endsWith('.tmp') ||
    name.endsWith('.swp') ||
    name.endsWith('.swx') ||
    name.endsWith('~')
  );
}

/** True when any segment of a `/`-separated relative path is ignored. */
export function isIgnoredPath(relativePath: string): boolean {
  return relativePath.split('/').some((segment) => segment !== '' && isIgnoredName(segment));
}

/** The memory key a file path (relative to its room, `/`-separated) holds, or null when it holds none. */
export function keyOfFile(relativePath: string): string | null {
  if (!relativePath.endsWith('.md') || isIgnoredPath(relativePath)) return null;
  const key = relativePath.slice(0, -3);
  return isValidKey(key) ? key : null;
}
