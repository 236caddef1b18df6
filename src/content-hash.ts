import { createRequire } from 'node:module';

let crypto: typeof import('node:crypto') | undefined;

/**
 * node:crypto, loaded on first use: reading commands (`memory get`, `ls`, a digest hook) never hash
 * or draw a random id, and loading it costs a start some 20 of Node's own modules.
 */
export function nodeCrypto(): typeof import('node:crypto') {
  return (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));
}

/** The hash that names a memory file's exact bytes: HTTP ETag, sync base hash, conflict suffix. */
export function contentHash(content: string | Uint8Array): string {
  return nodeCrypto().createHash('sha256').update(content).digest('hex');
}
