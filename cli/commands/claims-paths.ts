import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

/** bin/mycelium.js, for hooks that call the CLI back without relying on PATH. */
export const cliPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'mycelium.js');
