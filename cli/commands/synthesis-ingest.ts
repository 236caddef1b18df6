import { flushIngest, ingestStats, readIngestLog } from '../../src/ingest/index.js';
import { contextFrom, wholeNumber } from '../context.js';
import { printJson, printLine, table, type CommonOptions } from '../output.js';

export async function ingestLog(options: CommonOptions & { limit?: string }): Promise<void> {
  const { home } = contextFrom(options);
  const lines = await readIngestLog(home, wholeNumber(options.limit, '--limit', 1) ?? 20);
  if (options.json) return printJson(lines);
  if (lines.length === 0) return printLine('no knowledge-ingest attempts logged yet');
  printLine(table(lines.map((l) => [l.at, l.outcome, `${l.room}/${l.key}`, l.status !== undefined ? String(l.status) : '-', l.reason ?? l.id ?? ''])));
}

export async function ingestStatsCommand(options: CommonOptions): Promise<void> {
  const { home } = contextFrom(options);
  const stats = await ingestStats(home, process.env);
  if (options.json) return printJson(stats);
  const counts = Object.entries(stats.outcomes).map(([outcome, n]) => `${outcome} ${n}`).join(', ') || 'no attempts yet';
  printLine(
    [
      `forwarder: ${stats.enabled ? 'enabled' : 'disabled'}${stats.url ? ` → ${stats.url}` : ''}`,
      `attempts: ${counts}`,
      `waiting in the outbox: ${stats.pending}`,
      `last ok: ${stats.last_ok ?? '-'}   last error: ${stats.last_error ?? '-'}`,
    ].join('\n'),
  );
}

export async function ingestFlush(options: CommonOptions): Promise<void> {
  const { home } = contextFrom(options);
  const pass = await flushIngest(home, process.env);
  if (options.json) return printJson(pass);
  printLine(`delivered ${pass.delivered}, failed ${pass.failed}, waiting ${pass.waiting}${pass.stopped ? ` (stopped: ${pass.stopped})` : ''}`);
}
