/**
 * The settings that come from the environment, read in one place. A face (the CLI, `serve`, the MCP
 * server) calls `readSettings(process.env)` once and passes the result, or the environment it was
 * given, down; library code takes them as arguments and never reads `process.env` itself. Each field
 * says its variable and default (the README's "Environment variables" table).
 */

/** The environment as a face hands it down: a plain map, so a test can pass its own. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface Settings {
  /** The embedding model id. `MYCELIUM_EMBED_MODEL`; default `Xenova/bge-small-en-v1.5`. */
  embedModel: string;
  /** A local model folder (transformers.js layout), or undefined. `MYCELIUM_MODEL_DIR`. */
  modelDir: string | undefined;
  /** How often the daemon compares every room with its files, in ms. `MYCELIUM_RECONCILE_MS`; default 300000. */
  reconcileMs: number;
  /** Quiet time after a file's last raw event before the daemon reads it, in ms. `MYCELIUM_WATCH_DEBOUNCE_MS`; default 20. */
  watchDebounceMs: number;
  /**
   * Files larger than this are not read for the search index (their key still is), so one huge file
   * cannot exhaust memory. `MYCELIUM_MAX_INDEX_BYTES`; default 8388608 (8 MiB).
   */
  maxIndexBytes: number;
  /** Events the daemon keeps per room in the event log. `MYCELIUM_EVENT_LOG_MAX`; default 10000. */
  eventLogMax: number;
  /** The whole environment, for the settings a module owns itself (ingest, LLM provider, git): passed down, never re-read. */
  env: Env;
}

/** One line a library module reports (a problem it survives); the face decides where it goes. */
export type Logger = (line: string) => void;

export const DEFAULT_EMBED_MODEL = 'Xenova/bge-small-en-v1.5';
export const DEFAULT_RECONCILE_MS = 5 * 60_000;
export const DEFAULT_WATCH_DEBOUNCE_MS = 20;
export const DEFAULT_EVENT_LOG_MAX = 10_000;
export const DEFAULT_MAX_INDEX_BYTES = 8 * 1024 * 1024;

/** A whole number above 0, or undefined (unset or not a number: the default holds). */
function positive(value: string | undefined): number | undefined {
  const number = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(number) && number > 0 ? number : undefined;
}

/** A whole number above 0, or undefined. */
function wholePositive(value: string | undefined): number | undefined {
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? number : undefined;
}

/** The settings of an environment where nothing is set: every default. */
export const DEFAULT_SETTINGS: Settings = readSettings({});

export function readSettings(env: Env): Settings {
  return {
    embedModel: env.MYCELIUM_EMBED_MODEL || DEFAULT_EMBED_MODEL,
    modelDir: env.MYCELIUM_MODEL_DIR || undefined,
    reconcileMs: positive(env.MYCELIUM_RECONCILE_MS) ?? DEFAULT_RECONCILE_MS,
    watchDebounceMs: positive(env.MYCELIUM_WATCH_DEBOUNCE_MS) ?? DEFAULT_WATCH_DEBOUNCE_MS,
    maxIndexBytes: wholePositive(env.MYCELIUM_MAX_INDEX_BYTES) ?? DEFAULT_MAX_INDEX_BYTES,
    eventLogMax: wholePositive(env.MYCELIUM_EVENT_LOG_MAX) ?? DEFAULT_EVENT_LOG_MAX,
    env,
  };
}
