import { readFile } from 'node:fs/promises';
import { deliverOutbox, type DeliveryPass } from './deliver.js';
import { enqueueIngest, ingestLogPath, outboxFiles, type IngestLogLine, type IngestOutcome, type WriteToForward } from './outbox.js';
import { ingestSettings } from './settings.js';

export { deliverOutbox, type DeliveryPass } from './deliver.js';
export { enqueueIngest, estimateTokens, ingestLogPath, type IngestLogLine, type IngestOutcome, type IngestPayload, type WriteToForward } from './outbox.js';
export { INGEST_DEFAULTS, ingestDir, ingestSettings, type IngestSettings } from './settings.js';

type Env = Record<string, string | undefined>;

/**
 * A face's one call after a deliberate write: queue it for the knowledge-ingest receiver when the
 * forwarder is configured (a local file write; nothing is sent here). Returns whether anything
 * was queued, so the caller knows to get it delivered.
 */
export async function forwardWrite(home: string, env: Env, write: WriteToForward): Promise<IngestOutcome | undefined> {
  return enqueueIngest(home, ingestSettings(home, env), write);
}

/** Delivers what is due, with the token read from the variable `token_env` names. */
export async function flushIngest(home: string, env: Env): Promise<DeliveryPass> {
  const settings = ingestSettings(home, env);
  return deliverOutbox(home, settings, settings.tokenEnv ? env[settings.tokenEnv] : undefined);
}

/** The attempt log, newest last; `limit` keeps the newest N. Lines that do not parse are skipped. */
export async function readIngestLog(home: string, limit?: number): Promise<IngestLogLine[]> {
  const text = await readFile(ingestLogPath(home), 'utf8').catch(() => '');
  const lines: IngestLogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      lines.push(JSON.parse(line) as IngestLogLine);
    } catch {
      // a line torn by a crash mid-append
    }
  }
  return limit !== undefined ? lines.slice(-limit) : lines;
}

export interface IngestStats {
  enabled: boolean;
  url: string | null;
  /** Attempts by outcome, over the whole log. */
  outcomes: Record<string, number>;
  /** Payloads waiting in the outbox. */
  pending: number;
  last_ok: string | null;
  last_error: string | null;
}

export async function ingestStats(home: string, env: Env): Promise<IngestStats> {
  const settings = ingestSettings(home, env);
  const outcomes: Record<string, number> = {};
  let lastOk: string | null = null;
  let lastError: string | null = null;
  for (const line of await readIngestLog(home)) {
    outcomes[line.outcome] = (outcomes[line.outcome] ?? 0) + 1;
    if (line.outcome === 'ok') lastOk = line.at;
    if (line.outcome === 'error') lastError = line.at;
  }
  return { enabled: settings.enabled, url: settings.url ?? null, outcomes, pending: (await outboxFiles(home)).length, last_ok: lastOk, last_error: lastError };
}
