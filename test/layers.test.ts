import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The house's layers, checked on the source: ground → rules and formats → the store (Room) →
 * derived views and coordination (search/, watch/, coord/, side by side) → hosts (daemon/, sync/, ingest/,
 * adapters/) → faces (cli/, server/, mcp/, the public index.ts). Arrows point down or sideways
 * within a layer, never up; below the faces nothing reads process.env or prints by itself.
 *
 * KNOWN_* list the debt that remains, each arrow or file by name: a new one fails the test, and so
 * does an entry that is gone (delete it from the list, so the list only shrinks).
 */

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const GROUND = ['errors', 'settings', 'fs-atomic', 'file-stamp-sync', 'content-hash', 'json-depth', 'process-alive', 'home-paths', 'version', 'fs-confined', 'text-order'];
const RULES = ['keys', 'key-case', 'codec', 'config', 'lock', 'precondition', 'room-scan', 'folder-watcher'];
const STORE = ['room', 'rooms', 'memory-record'];

function layerOf(file: string): number {
  const parts = file.split('/');
  if (parts[0] === 'cli') return 6;
  if (parts[0] !== 'src') throw new Error(`not library code: ${file}`);
  if (parts.length === 2) {
    const name = parts[1].replace(/\.ts$/, '');
    if (name === 'index') return 6;
    if (name === 'doctor') return 5;
    if (GROUND.includes(name)) return 0;
    if (RULES.includes(name)) return 1;
    if (STORE.includes(name)) return 2;
    throw new Error(`src/${parts[1]} has no layer: add it to GROUND, RULES or STORE in test/layers.test.ts`);
  }
  const folder = parts[1];
  // the daemon's wire (daemon.json, the socket): a format both the daemon and its clients stand on
  if (folder === 'events' || folder === 'ipc') return 1;
  // coordination stands on Room, the codec, locks and subscriptions (watch/): the same floor as search
  if (folder === 'coord' || folder === 'search' || folder === 'watch') return 3;
  if (['daemon', 'sync', 'ingest', 'adapters'].includes(folder)) return 5;
  if (folder === 'server' || folder === 'mcp') return 6;
  throw new Error(`src/${folder}/ has no layer: add it in test/layers.test.ts`);
}

function sources(dir: string): string[] {
  return readdirSync(join(repo, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(repo, path)).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports (static, re-exports and dynamic) of a source file, as repo paths of .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(repo, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
  return specs.map((spec) => relative(repo, resolve(repo, dirname(file), spec)).replace(/\.js$/, '.ts'));
}

const library = sources('src');
const faceFree = library.filter((file) => layerOf(file) < 6);

/** Arrows that still point up; each is to be moved down or behind the daemon client facade. */
const KNOWN_UPWARD: string[] = [];

/** Library files below the faces that still read process.env (mostly `env = process.env` defaults). */
const KNOWN_ENV: string[] = [];

/** Library files below the faces that still print. */
const KNOWN_PRINT: string[] = [];

describe('the layers of the house', () => {
  it('every import points down or sideways, never up', () => {
    const upward: string[] = [];
    for (const file of [...library, ...sources('cli')]) {
      for (const target of importsOf(file)) {
        if (!target.startsWith('src/') && !target.startsWith('cli/')) continue;
        if (layerOf(target) > layerOf(file)) upward.push(`${file} -> ${target}`);
      }
    }
    expect(upward.sort()).toEqual([...KNOWN_UPWARD].sort());
  });

  it('coordination imports nothing from the daemon, sync or the faces', () => {
    const forbidden = /^(src\/(daemon|sync|server|mcp)\/|cli\/)/;
    const reached: string[] = [];
    for (const file of library.filter((f) => f.startsWith('src/coord/'))) {
      for (const target of importsOf(file)) if (forbidden.test(target)) reached.push(`${file} -> ${target}`);
    }
    expect(reached).toEqual([]);
  });

  it('sync imports nothing from the daemon (hosts stand side by side on the layers below)', () => {
    const reached = library.filter((f) => f.startsWith('src/sync/')).flatMap((file) => importsOf(file).filter((t) => t.startsWith('src/daemon/')).map((t) => `${file} -> ${t}`));
    expect(reached).toEqual([]);
  });

  it('the library reads no process.env and prints nothing below the faces', () => {
    const strip = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
    const env = faceFree.filter((file) => /\bprocess\.env\b/.test(strip(readFileSync(join(repo, file), 'utf8'))));
    const prints = faceFree.filter((file) => /\bconsole\.\w+\(|\bprocess\.(stdout|stderr)\b/.test(strip(readFileSync(join(repo, file), 'utf8'))));
    expect(env.sort()).toEqual([...KNOWN_ENV].sort());
    expect(prints.sort()).toEqual([...KNOWN_PRINT].sort());
  });

  it('only src/home-paths.ts names the folders under the home', () => {
    const handJoined = library.filter((file) => {
      if (file === 'src/home-paths.ts') return false;
      const text = readFileSync(join(repo, file), 'utf8');
      return /join\((?:home|room\.home|this\.home|ctx\.home|context\.home),\s*'(rooms|locks|index|events|daemon|sync|\.staging|ingest|triggers|cache|cursors|claims-epoch|config\.toml)'/.test(text);
    });
    expect(handJoined).toEqual([]);
  });

  it('the public API exports no internals', async () => {
    const api = await import('../src/index.js');
    for (const internal of ['writeFileAtomic', 'withLock', 'fuseRankings', 'searchRoom']) expect(api).not.toHaveProperty(internal);
    for (const real of ['Room', 'searchMemories', 'RoomIndex', 'subscribe', 'syncRoom', 'readHeader', 'roomsDir', 'eventLogPath']) expect(api).toHaveProperty(real);
  });
});
