import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files the page loads, shipped in the package under `assets/web/`. */
const TYPES: Record<string, string> = {
  'style.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

export interface WebAssets {
  /** URL path prefix, `/ui/assets/<content hash>/`: a new build gets new URLs, so caching forever is safe. */
  prefix: string;
  get(name: string): { body: Buffer; type: string } | undefined;
}

let loaded: WebAssets | undefined;

/** Reads the assets once (they are small) and names them by a hash of their content. */
export function webAssets(): WebAssets {
  if (loaded) return loaded;
  const dir = assetsDir();
  const files = new Map<string, Buffer>();
  const hash = createHash('sha256');
  for (const name of Object.keys(TYPES)) {
    const body = readFileSync(join(dir, name));
    files.set(name, body);
    hash.update(name).update(body);
  }
  const prefix = `/ui/assets/${hash.digest('hex').slice(0, 12)}/`;
  loaded = {
    prefix,
    get: (name) => {
      const body = files.get(name);
      return body ? { body, type: TYPES[name] } : undefined;
    },
  };
  return loaded;
}

/** `assets/web` at the package root: three folders up from src/server/web, four from dist/src/server/web. */
function assetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    const candidate = join(dir, 'assets', 'web');
    if (existsSync(join(candidate, 'style.css'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('the web assets (assets/web) are missing from the package; reinstall mycelium');
}
