import { mkdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ConflictError } from '../errors.js';
import { withLock } from '../lock.js';
import { appendIngestLog, outboxFiles, readEntry, removeEntry, rewriteEntry, type OutboxEntry } from './outbox.js';
import { ingestDir, type IngestSettings } from './settings.js';

/** Longest wait between two tries of one payload. */
const MAX_BACKOFF_MS = 5 * 60_000;

export interface DeliveryPass {
  delivered: number;
  failed: number;
  /** Entries left for later (backoff, or a pass that stopped). */
  waiting: number;
  /** Why nothing was tried: 'disabled', 'no_url', 'busy' (another process delivers). */
  stopped?: 'disabled' | 'no_url' | 'busy';
}

/**
 * One pass over the outbox: POSTs each due payload (Idempotency-Key header), removes it on 2xx,
 * reschedules it with doubling backoff on a 5xx, 408, 429, timeout or network error, and moves it
 * to `ingest/rejected/` on any other 4xx (kept, not lost). One deliverer at a time per home.
 * `token` is the bearer token's value, read by the caller from the variable `token_env` names.
 */
export async function deliverOutbox(home: string, settings: IngestSettings, token: string | undefined): Promise<DeliveryPass> {
  const files = await outboxFiles(home);
  if (files.length === 0) return { delivered: 0, failed: 0, waiting: 0 };
  if (!settings.enabled) return { delivered: 0, failed: 0, waiting: files.length, stopped: 'disabled' };
  if (!settings.url) return { delivered: 0, failed: 0, waiting: files.length, stopped: 'no_url' };
  try {
    return await withLock(home, 'ingest-outbox', () => pass(home, settings, settings.url!, token));
  } catch (err) {
    if (err instanceof ConflictError) return { delivered: 0, failed: 0, waiting: files.length, stopped: 'busy' };
    throw err;
  }
}

async function pass(home: string, settings: IngestSettings, url: string, token: string | undefined): Promise<DeliveryPass> {
  const result: DeliveryPass = { delivered: 0, failed: 0, waiting: 0 };
  for (const file of await outboxFiles(home)) {
    const entry = await readEntry(file);
    if (!entry) continue;
    if (Date.parse(entry.next_attempt_at) > Date.now()) {
      result.waiting++;
      continue;
    }
    const attempt = entry.attempts + 1;
    const base = { room: entry.payload.room, key: entry.payload.key, id: entry.payload.idempotency_key, attempt };
    const outcome = await post(url, entry, token, settings.timeoutMs);
    if (outcome.ok) {
      await removeEntry(file);
      await appendIngestLog(home, { ...base, outcome: 'ok', status: outcome.status });
      result.delivered++;
    } else if (outcome.status !== undefined && outcome.status >= 400 && outcome.status < 500 && outcome.status !== 408 && outcome.status !== 429) {
      const dir = join(ingestDir(home), 'rejected');
      await mkdir(dir, { recursive: true });
      await rename(file, join(dir, basename(file))).catch(() => {});
      await appendIngestLog(home, { ...base, outcome: 'error', status: outcome.status, reason: `${outcome.reason}; rejected by the receiver, kept in ingest/rejected/` });
      result.failed++;
    } else {
      const delay = Math.min(MAX_BACKOFF_MS, settings.retryBaseMs * 2 ** entry.attempts);
      await rewriteEntry(file, { ...entry, attempts: attempt, next_attempt_at: new Date(Date.now() + delay).toISOString() });
      await appendIngestLog(home, { ...base, outcome: 'error', status: outcome.status, reason: `${outcome.reason}; retry in ${Math.round(delay / 1000)} s` });
      result.failed++;
      result.waiting++;
    }
  }
  return result;
}

async function post(url: string, entry: OutboxEntry, token: string | undefined, timeoutMs: number): Promise<{ ok: boolean; status?: number; reason: string }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Idempotency-Key': entry.payload.idempotency_key,
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(entry.payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    return { ok: response.ok, status: response.status, reason: `HTTP ${response.status}` };
  } catch (err) {
    const name = (err as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, reason: `no answer within ${timeoutMs} ms` };
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, reason: `cannot reach the receiver (${cause ?? (err as Error)?.message ?? 'network error'})` };
  }
}
