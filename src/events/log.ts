import { mkdir, open, readdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs-atomic.js';
import type { ChangeEvent, LoggedEvent } from './change-event.js';
import { eventLogPath, eventsDir } from '../home-paths.js';
import { DEFAULT_EVENT_LOG_MAX } from '../settings.js';

/**
 * The durable, bounded event log: one JSON-lines file per room in `$MYCELIUM_HOME/events/<room>.jsonl`.
 * Cursors are one counter for the whole home, so a cursor from any room or feed is comparable.
 * The daemon is the only writer; anyone (subscribe, the HTTP change feed) may read.
 *
 * File format: one event per line, `{"type","room","key","from"?,"version","by","at","cursor"}`.
 * After compaction the first line is `{"compacted_through": N}`: events with cursor <= N were dropped.
 */


export { eventsDir, eventLogPath } from '../home-paths.js';

export interface ReadEventsResult {
  /** Events with cursor > since, oldest first. */
  events: LoggedEvent[];
  /** The cursor to pass as `since` next time (the last event's, or `since` when there is none). */
  cursor: number;
  /** True when events after `since` were dropped by compaction: the reader must resync from the files. */
  truncated: boolean;
}

interface ParsedLog {
  events: LoggedEvent[];
  compactedThrough: number;
}

function parseLog(text: string): ParsedLog {
  const events: LoggedEvent[] = [];
  let compactedThrough = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    try {
      const record = JSON.parse(line);
      if (typeof record.compacted_through === 'number') compactedThrough = record.compacted_through;
      else if (typeof record.cursor === 'number') events.push(record as LoggedEvent);
    } catch {
      // A line torn by a crash: skip it.
    }
  }
  return { events, compactedThrough };
}

/** Reads a room's events after a cursor (0 = from the oldest kept). A room with no log has no events. */
export async function readEvents(home: string, room: string, since = 0, limit = Infinity): Promise<ReadEventsResult> {
  let text = '';
  try {
    text = await readFile(eventLogPath(home, room), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { events, compactedThrough } = parseLog(text);
  const after = events.filter((e) => e.cursor > since).slice(0, limit);
  return {
    events: after,
    cursor: after.length > 0 ? after[after.length - 1].cursor : Math.max(since, 0),
    truncated: since < compactedThrough,
  };
}

/** The writer side. Appends are fsynced, so an acknowledged event survives a crash. */
export class EventLog {
  private readonly lines = new Map<string, number>(); // room -> events in its file
  private constructor(
    readonly home: string,
    private last: number,
    private readonly max: number,
  ) {}

  /**
   * Opens every room's log, trims a line torn by a crash, and finds the last cursor. `max`: events
   * kept per room (the face's `settings.eventLogMax`, `MYCELIUM_EVENT_LOG_MAX`).
   */
  static async open(home: string, max = DEFAULT_EVENT_LOG_MAX): Promise<EventLog> {
    await mkdir(eventsDir(home), { recursive: true });
    let last = 0;
    const log = new EventLog(home, 0, max);
    for (const name of await readdir(eventsDir(home))) {
      if (!name.endsWith('.jsonl')) continue;
      const path = join(eventsDir(home), name);
      const text = await readFile(path, 'utf8');
      if (text.length > 0 && !text.endsWith('\n')) await truncate(path, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
      const { events, compactedThrough } = parseLog(text);
      last = Math.max(last, compactedThrough, ...events.map((e) => e.cursor));
      log.lines.set(name.slice(0, -'.jsonl'.length), events.length);
    }
    log.last = last;
    return log;
  }

  /** The newest cursor handed out. */
  get cursor(): number {
    return this.last;
  }

  /** Gives each event the next cursor, appends them to the room's log, and returns them. */
  async append(room: string, events: ChangeEvent[]): Promise<LoggedEvent[]> {
    if (events.length === 0) return [];
    // Cursors are spent only once the events are written: a failed append (the watcher retries it) reuses them.
    const stamped = events.map((e, i) => ({ ...e, cursor: this.last + i + 1 }));
    await mkdir(eventsDir(this.home), { recursive: true }); // someone may have deleted it
    const handle = await open(eventLogPath(this.home, room), 'a');
    try {
      await handle.write(stamped.map((e) => JSON.stringify(e)).join('\n') + '\n');
      this.last += stamped.length; // written: the cursors are spent even if the sync below fails
      await handle.datasync();
    } finally {
      await handle.close();
    }
    const count = (this.lines.get(room) ?? 0) + stamped.length;
    this.lines.set(room, count);
    if (count > this.max * 1.5) await this.compact(room);
    return stamped;
  }

  /** Keeps the newest `max` events; readers see the old file or the new one, never a torn one. */
  private async compact(room: string): Promise<void> {
    const path = eventLogPath(this.home, room);
    const { events } = parseLog(await readFile(path, 'utf8'));
    const kept = events.slice(-this.max);
    const dropped = events.length - kept.length;
    const through = dropped > 0 ? events[dropped - 1].cursor : 0;
    const header = JSON.stringify({ compacted_through: through });
    await writeFileAtomic(path, [header, ...kept.map((e) => JSON.stringify(e))].join('\n') + '\n');
    this.lines.set(room, kept.length);
  }
}
