import { globalConfigPath, readConfig } from '../config.js';
import { InvalidInputError } from '../errors.js';

/**
 * The knowledge-ingest forwarder's settings: `[knowledge_ingest]` in `$MYCELIUM_HOME/config.toml`,
 * each field overridden by `MYCELIUM_INGEST_<FIELD>`; `[server] workspace_id` / `mas_id` (or
 * `MYCELIUM_WORKSPACE_ID` / `MYCELIUM_MAS_ID`) ride along in every payload.
 */
export interface IngestSettings {
  /** False unless turned on; `MYCELIUM_INGEST_ENABLED=0` is the kill switch. */
  enabled: boolean;
  /** Where payloads are POSTed. */
  url?: string;
  /** The NAME of the variable holding the bearer token (the token itself is never stored). */
  tokenEnv?: string;
  /** Payloads estimated above this many tokens are refused, not cut. */
  maxInputTokens: number;
  /** Identical payloads within this window are skipped. */
  dedupeTtlSeconds: number;
  /** Shorter content is skipped. */
  minContentChars: number;
  workspaceId?: string;
  masId?: string;
  /** How long one delivery may take before it counts as failed (default 10 s). */
  timeoutMs: number;
  /** First retry delay; each failure doubles it, up to 5 minutes (default 1 s). */
  retryBaseMs: number;
  /** True when the home configures the forwarder at all (a table or an env override). */
  configured: boolean;
}

export const INGEST_DEFAULTS = { maxInputTokens: 50_000, dedupeTtlSeconds: 300, minContentChars: 32, timeoutMs: 10_000, retryBaseMs: 1_000 } as const;

export { ingestDir } from '../home-paths.js';

type Env = Record<string, string | undefined>;

export function ingestSettings(home: string, env: Env = {}): IngestSettings {
  const config = readConfig(globalConfigPath(home)) as Record<string, unknown>;
  const table = tableOf(config, 'knowledge_ingest');
  const server = tableOf(config, 'server');
  const pick = (field: string) => {
    const fromEnv = env[`MYCELIUM_INGEST_${field.toUpperCase()}`];
    return fromEnv !== undefined && fromEnv !== '' ? fromEnv : table[field];
  };
  const configured = Object.keys(table).length > 0 || Object.keys(env).some((name) => name.startsWith('MYCELIUM_INGEST_') && env[name]);
  return {
    enabled: flag(pick('enabled'), 'enabled'),
    url: text(pick('url'), 'url'),
    tokenEnv: text(pick('token_env'), 'token_env'),
    maxInputTokens: count(pick('max_input_tokens'), 'max_input_tokens', INGEST_DEFAULTS.maxInputTokens),
    dedupeTtlSeconds: count(pick('dedupe_ttl_seconds'), 'dedupe_ttl_seconds', INGEST_DEFAULTS.dedupeTtlSeconds),
    minContentChars: count(pick('min_content_chars'), 'min_content_chars', INGEST_DEFAULTS.minContentChars),
    workspaceId: text(env.MYCELIUM_WORKSPACE_ID || server.workspace_id, 'workspace_id'),
    masId: text(env.MYCELIUM_MAS_ID || server.mas_id, 'mas_id'),
    timeoutMs: count(pick('timeout_ms'), 'timeout_ms', INGEST_DEFAULTS.timeoutMs),
    retryBaseMs: count(pick('retry_base_ms'), 'retry_base_ms', INGEST_DEFAULTS.retryBaseMs),
    configured,
  };
}

function tableOf(config: Record<string, unknown>, name: string): Record<string, unknown> {
  const table = config[name];
  if (table === undefined) return {};
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw new InvalidInputError(`[${name}] in config.toml must be a table`);
  return table as Record<string, unknown>;
}

function flag(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new InvalidInputError(`knowledge_ingest ${field} must be true or false (MYCELIUM_INGEST_${field.toUpperCase()}=1 or 0)`);
}

function text(value: unknown, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidInputError(`knowledge_ingest ${field} must be text`);
  return value;
}

function count(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new InvalidInputError(`knowledge_ingest ${field} must be a whole number (MYCELIUM_INGEST_${field.toUpperCase()}), got ${JSON.stringify(value)}`);
  }
  return n;
}
