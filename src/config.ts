import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { InvalidInputError, IoError, NoRoomSelectedError } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';
import { globalConfigPath } from './home-paths.js';

/**
 * The TOML parser, loaded the first time a config file is read or written. Most command lines find
 * no config file (the environment names handle and room), and the hot verbs should not pay ~7 ms
 * to load a parser they never call; smol-toml's one-file CommonJS build loads synchronously, so
 * readConfig stays synchronous.
 */
let tomlModule: typeof import('smol-toml') | undefined;
const toml = (): typeof import('smol-toml') => (tomlModule ??= createRequire(import.meta.url)('smol-toml') as typeof import('smol-toml'));

/** The parts of config.toml that mycelium reads. Other tables and keys are kept as they are. */
export interface ConfigFile {
  identity?: { name?: string };
  rooms?: { active?: string };
  [table: string]: unknown;
}

/** Where mycelium keeps its data: `$MYCELIUM_HOME`, default `~/.mycelium`. */
/** Virtual file systems that hold no files: a home there could never be written (and Node's recursive mkdir spins on /proc). */
const VIRTUAL_FILE_SYSTEMS = ['/proc', '/sys'];

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.MYCELIUM_HOME;
  const home = resolve(fromEnv && fromEnv.length > 0 ? fromEnv : join(homedir(), '.mycelium'));
  const virtual = VIRTUAL_FILE_SYSTEMS.find((root) => home === root || home.startsWith(`${root}/`));
  if (virtual !== undefined) {
    throw new IoError(`the home ${home} is inside ${virtual}, a virtual file system that holds no files; set MYCELIUM_HOME to a folder on disk`);
  }
  return home;
}

export { roomsDir, globalConfigPath } from './home-paths.js';

/**
 * The folders that are homes, never projects: the home in use and the default `~/.mycelium`. A
 * `.mycelium` folder found above the working directory that is one of them holds a home's global
 * config, not a project's (else `room use --local` under `~` would rewrite the global file).
 */
export function homeFolders(home: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const userHome = env.HOME && env.HOME.length > 0 ? env.HOME : homedir();
  return [resolve(home), resolve(userHome, '.mycelium')];
}

/** The nearest project `.mycelium/config.toml` at or above `cwd`, if any; `homes` are skipped. */
export function findLocalConfig(cwd: string, homes: string[] = []): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    const folder = join(dir, '.mycelium');
    const candidate = join(folder, 'config.toml');
    if (!homes.includes(folder) && existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function readConfig(path: string | undefined): ConfigFile {
  if (!path || !existsSync(path)) return {};
  try {
    return toml().parse(readFileSync(path, 'utf8')) as ConfigFile;
  } catch (err) {
    const line = (err as { line?: number }).line;
    throw new InvalidInputError(
      `cannot parse ${path}${line ? `:${line}` : ''}: ${(err as Error).message.split('\n')[0]}; fix or delete the file`,
    );
  }
}

/** Sets `[table] key = value` in a TOML file, keeping everything else in it. */
export async function writeConfigValue(path: string, table: string, key: string, value: string): Promise<void> {
  const config = readConfig(path) as Record<string, Record<string, unknown>>;
  config[table] = { ...(config[table] ?? {}), [key]: value };
  await writeFileAtomic(path, toml().stringify(config) + '\n');
}

/** Removes `[table] key` from a TOML file, keeping everything else in it. */
export async function removeConfigValue(path: string, table: string, key: string): Promise<void> {
  const config = readConfig(path) as Record<string, Record<string, unknown>>;
  if (!config[table] || !(key in config[table])) return;
  delete config[table][key];
  await writeFileAtomic(path, toml().stringify(config) + '\n');
}

/** What a command needs to know about who and where: resolved once, passed to the library. */
export interface Context {
  home: string;
  /** The room chosen by flag, env or config; undefined when none is set anywhere. */
  room?: string;
  handle: string;
}

export interface ContextOptions {
  room?: string;
  handle?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Resolves home, room and handle.
 * room: --room > MYCELIUM_ROOM > local config > global config.
 * handle: --handle > MYCELIUM_AGENT_HANDLE > config identity > OS user name.
 */
export function resolveContext(options: ContextOptions = {}): Context {
  const env = options.env ?? process.env;
  const home = resolveHome(env);
  // The config files are read only for what flags and environment leave open: an agent's hook or
  // `memory set` with both set parses no TOML and walks no folders up from the working directory.
  let files: { local: ConfigFile; global: ConfigFile } | undefined;
  const config = () =>
    (files ??= { local: readConfig(findLocalConfig(options.cwd ?? process.cwd(), homeFolders(home, env))), global: readConfig(globalConfigPath(home)) });
  const room = options.room || env.MYCELIUM_ROOM || config().local.rooms?.active || config().global.rooms?.active || undefined;
  const handle =
    options.handle ||
    env.MYCELIUM_AGENT_HANDLE ||
    config().local.identity?.name ||
    config().global.identity?.name ||
    osUserName();
  return { home, room, handle };
}

/** The room of a context, or a clear error that says how to choose one. */
export function requireRoom(context: Context): string {
  if (!context.room) {
    throw new NoRoomSelectedError(
      'no room selected; pass --room NAME, set MYCELIUM_ROOM, or run `mycelium room use NAME`',
    );
  }
  return context.room;
}

function osUserName(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return process.env.USER || 'unknown';
  }
}
