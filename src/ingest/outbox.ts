import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentHash } from '../content-hash.js';
import { ioError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { ingestDir, type IngestSettings } from './settings.js';

/** What is forwarded: one deliberate write (a memory set or a room message). */
export interface IngestPayload {
  /** Sent as the Idempotency-Key header too: a receiver seeing it twice keeps it once. */
  idempotency_key: string;
  kind: 'memory' | 'message';
  room: string;
  key: string;
  content: string;
  by: string;
  at: string;
  workspace_id?: string;
  mas_id?: string;
}

export type IngestOutcome = 'ok' | 'deduped' | 'refused' | 'skipped' | 'disabled' | 'error' | 'queued';

/** One line of `ingest/log.jsonl`. Never holds the token. */
export interface IngestLogLine {
  at: string;
  outcome: IngestOutcome;
  room: string;
  key: string;
  id?: string;
  tokens?: number;
  attempt?: number;
  status?: number;
  reason?: string;
}

interface OutboxEntry {
  payload: IngestPayload;
  attempts: number;
  /** ISO time before which it is not tried again (backoff). */
  next_attempt_at: string;
}

const outboxDir = (home: string) => join(ingestDir(home), 'outbox');
const seenDir = (home: string) => join(ingestDir(home), 'seen');
export const ingestLogPath = (home: string) => join(ingestDir(home), 'log.jsonl');

/** Rough token count (4 characters a token): refusals need a bound, not a tokenizer. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export async function appendIngestLog(home: string, line: Omit<IngestLogLine, 'at'>): Promise<void> {
  try {
    await mkdir(ingestDir(home), { recursive: true });
    await appendFile(ingestLogPath(home), JSON.stringify({ at: new Date().toISOString(), ...line }) + '\n');
  } catch (err) {
    throw ioError('write', ingestLogPath(home), err);
  }
}

export interface WriteToForward {
  kind: 'memory' | 'message';
  room: string;
  key: string;
  content: string;
  by: string;
}

/**
 * Puts a deliberate write in the durable outbox, or says why not (and logs it). Fast and local:
 * nothing is sent here. Notes under `agents/<handle>/notes` are never forwarded.
 */
export async function enqueueIngest(home: string, settings: IngestSettings, write: WriteToForward): Promise<IngestOutcome | undefined> {
  if (!settings.configured) return undefined; // no forwarder configured: nothing to do or log
  const base = { room: write.room, key: write.key };
  if (!settings.enabled) return logged(home, { ...base, outcome: 'disabled' });
  if (/^agents\/[^/]+\/notes(\/|$)/.test(write.key)) return logged(home, { ...base, outcome: 'skipped', reason: 'agent notes are private' });
  if (write.content.trim().length < settings.minContentChars) {
    return logged(home, { ...base, outcome: 'skipped', reason: `shorter than min_content_chars (${settings.minContentChars})` });
  }
  const tokens = estimateTokens(write.content);
  if (tokens > settings.maxInputTokens) {
    return logged(home, { ...base, outcome: 'refused', tokens, reason: `about ${tokens} tokens, over max_input_tokens (${settings.maxInputTokens}); nothing was cut or sent` });
  }
  if (await seenRecently(home, contentHash(`${write.kind}\n${write.room}\n${write.key}\n${write.content}`), settings.dedupeTtlSeconds)) {
    return logged(home, { ...base, outcome: 'deduped', tokens, reason: `identical payload within ${settings.dedupeTtlSeconds} s` });
  }
  const payload: IngestPayload = {
    idempotency_key: randomUUID(),
    ...write,
    at: new Date().toISOString(),
    ...(settings.workspaceId ? { workspace_id: settings.workspaceId } : {}),
    ...(settings.masId ? { mas_id: settings.masId } : {}),
  };
  const entry: OutboxEntry = { payload, attempts: 0, next_attempt_at: payload.at };
  const file = join(outboxDir(home), `${payload.at.replace(/[:.]/g, '-')}-${payload.idempotency_key}.json`);
  try {
    await writeFileAtomic(file, JSON.stringify(entry) + '\n');
  } catch (err) {
    throw ioError('write', file, err);
  }
  return logged(home, { ...base, outcome: 'queued', id: payload.idempotency_key, tokens });
}

async function logged(home: string, line: Omit<IngestLogLine, 'at'>): Promise<IngestOutcome> {
  await appendIngestLog(home, line);
  return line.outcome;
}

/** True when the same payload was queued within `ttl` seconds; marks it seen otherwise. */
async function seenRecently(home: string, hash: string, ttlSeconds: number): Promise<boolean> {
  const mark = join(seenDir(home), hash);
  const info = await stat(mark).catch(() => undefined);
  if (info && Date.now() - info.mtimeMs < ttlSeconds * 1000) return true;
  await mkdir(seenDir(home), { recursive: true });
  if (info) {
    const now = new Date();
    await utimes(mark, now, now);
  } else await writeFile(mark, '');
  return false;
}

/** The outbox entries, oldest first (file names start with the time). */
export async function outboxFiles(home: string): Promise<string[]> {
  const names = await readdir(outboxDir(home)).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort().map((n) => join(outboxDir(home), n));
}

export async function readEntry(file: string): Promise<OutboxEntry | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as OutboxEntry;
  } catch {
    return undefined; // delivered and removed meanwhile, or a torn copy: the next pass sees the truth
  }
}

export async function rewriteEntry(file: string, entry: OutboxEntry): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(entry) + '\n');
}

export async function removeEntry(file: string): Promise<void> {
  await unlink(file).catch(() => {});
}

export type { OutboxEntry };
