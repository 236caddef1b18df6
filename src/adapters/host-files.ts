import { readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InvalidInputError, ioError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';

/**
 * Reading and writing the files agent hosts own (Claude Code's settings, Codex's config.toml,
 * Cursor's mcp.json, AGENTS.md): a missing file is empty, a broken one is refused before anything
 * is written, every write is atomic, and the first change to a file keeps a backup beside it.
 */

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw ioError('read', path, err);
  }
}

export async function writeText(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text);
  } catch (err) {
    throw ioError('write', path, err);
  }
}

export async function removeFile(path: string): Promise<void> {
  try {
    await rm(path, { force: true });
  } catch (err) {
    throw ioError('remove', path, err);
  }
}

/** The suffix of the copy kept of a host file before mycelium first changes it. */
export const BACKUP_SUFFIX = '.mycelium-backup';

/** Writes `text` to a host file, first keeping what was there (once: an earlier backup is never overwritten). */
export async function writeHostFile(path: string, previous: string | undefined, text: string): Promise<string | undefined> {
  let backup: string | undefined;
  if (previous !== undefined && previous !== text) {
    backup = path + BACKUP_SUFFIX;
    if ((await readText(backup)) === undefined) await writeText(backup, previous);
  }
  await writeText(path, text);
  return backup;
}

/** A JSON file holding one object; missing or blank is `{}`, anything else that is not an object is refused. */
export async function readJsonObject(path: string): Promise<{ text?: string; value: Record<string, unknown> }> {
  const text = await readText(path);
  if (text === undefined || text.trim() === '') return { text, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`cannot parse ${path} (${(err as Error).message}); fix the JSON and retry`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`${path} does not hold a JSON object; fix it and retry`);
  }
  return { text, value: value as Record<string, unknown> };
}

/** A field of a host's JSON object that must itself be an object (e.g. `mcpServers`, `hooks`). */
export function objectField(value: Record<string, unknown>, field: string, file: string): Record<string, unknown> {
  const found = value[field] ?? {};
  if (typeof found !== 'object' || found === null || Array.isArray(found)) {
    throw new InvalidInputError(`"${field}" in ${file} is not an object; fix it and retry`);
  }
  return found as Record<string, unknown>;
}

export const jsonText = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

/** Whether two host entries (an MCP server, a hook) say the same thing. */
export const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The project an agent works in: the nearest folder at or above `cwd` holding `.git`, else `cwd` itself. */
export function projectDir(cwd: string): string {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(cwd);
    dir = parent;
  }
}

/** A shell word for a path (hosts run hook and MCP commands through a shell or as argv). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
