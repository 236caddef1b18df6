import { createHash } from 'node:crypto';

/** The hash that names a memory file's exact bytes: HTTP ETag, sync base hash, conflict suffix. */
export function contentHash(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}
