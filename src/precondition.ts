import { readFile } from 'node:fs/promises';
import { contentHash } from './content-hash.js';
import { PreconditionFailedError, ioError } from './errors.js';

/** Guards for writes that must see an expected state (HTTP If-Match / If-None-Match, sync base hashes). */
export interface Precondition {
  /** The content hash the file must have now. */
  ifHash?: string;
  /** The file must not exist yet (If-None-Match: *). */
  mustNotExist?: boolean;
  /** The file must exist (If-Match: *). */
  mustExist?: boolean;
}

/**
 * Throws PreconditionFailedError unless a memory file is in the expected state; says whether it exists.
 * Called by Room under the key's lock, so the state cannot change between this check and the write.
 */
export async function checkPrecondition(room: string, key: string, path: string, guard: Precondition): Promise<boolean> {
  let hash: string | undefined;
  try {
    hash = contentHash(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EISDIR') throw ioError('read', path, err);
  }
  if (guard.mustExist && hash === undefined) {
    throw new PreconditionFailedError(`'${key}' does not exist in room '${room}'; create it without If-Match`);
  }
  if (guard.mustNotExist && hash !== undefined) {
    throw new PreconditionFailedError(`'${key}' already exists in room '${room}'; get it and retry with its hash`);
  }
  if (guard.ifHash !== undefined && guard.ifHash !== hash) {
    throw new PreconditionFailedError(
      `'${key}' in room '${room}' ${hash === undefined ? 'no longer exists' : 'changed since you read it'}; get it again and retry`,
    );
  }
  return hash !== undefined;
}
