/**
 * What a starting daemon is doing while it catches up (loading the model, indexing each room), kept
 * in `daemon/starting.json` so `daemon start` and `daemon status` can show it before the daemon
 * answers IPC. The file is removed once the daemon is ready; a dead pid in it means nothing.
 */
import { readFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { writeFileAtomic } from '../fs-atomic.js';
import type { IndexProgress } from '../search/types.js';
import { startingFilePath } from '../home-paths.js';
import { isLiveDaemon } from '../ipc/daemon-info.js';

export interface StartProgress {
  pid: number;
  started_at: string;
  /** `loading`, then `indexing` (one room at a time). */
  step: 'loading' | 'indexing';
  room?: string;
  /** Rooms caught up so far, and how many there are. */
  rooms_done?: number;
  rooms_total?: number;
  /** Within the room: `read` (files) or `embed` (chunks), done of total. */
  phase?: IndexProgress['phase'];
  done?: number;
  total?: number;
}

/** The file is written at most this often while a room's index is built. */
const WRITE_EVERY_MS = 250;

/** Writes a starting daemon's progress (throttled; each write replaces the file atomically). */
export class StartProgressFile {
  private state: StartProgress;
  private lastWrite = 0;
  private writing: Promise<void> = Promise.resolve();
  private finished = false;

  constructor(
    private readonly home: string,
    startedAt: string,
  ) {
    this.state = { pid: process.pid, started_at: startedAt, step: 'loading' };
  }

  /** Merges what changed and writes the file (now when `force`, else at most every 250 ms). */
  update(patch: Partial<StartProgress>, force = false): Promise<void> {
    if (this.finished) return this.writing;
    this.state = { ...this.state, ...patch };
    const now = Date.now();
    if (!force && now - this.lastWrite < WRITE_EVERY_MS) return this.writing;
    this.lastWrite = now;
    const text = JSON.stringify(this.state) + '\n';
    this.writing = this.writing.then(() => writeFileAtomic(startingFilePath(this.home), text).catch(() => {}));
    return this.writing;
  }

  /** The daemon is ready (or stopping): the file goes away. */
  async finish(): Promise<void> {
    this.finished = true;
    await this.writing;
    await unlink(startingFilePath(this.home)).catch(() => {});
  }
}

/** The progress of the home's starting daemon, or null (none starting, or its process is gone). */
export function readStartProgress(home: string): StartProgress | null {
  try {
    const progress = JSON.parse(readFileSync(startingFilePath(home), 'utf8')) as StartProgress;
    return isLiveDaemon(progress.pid) ? progress : null;
  } catch {
    return null;
  }
}

/** One line for a person: "loading the search model", "indexing room 'team' (1 of 2 rooms): read 1200 of 38000 files". */
export function describeStartProgress(progress: StartProgress): string {
  if (progress.step === 'loading') return 'loading the search model';
  const rooms = progress.rooms_total ? ` (${(progress.rooms_done ?? 0) + 1} of ${progress.rooms_total} rooms)` : '';
  const unit = progress.phase === 'embed' ? 'chunks embedded' : 'files read';
  const work = progress.total ? `: ${progress.done ?? 0} of ${progress.total} ${unit}` : '';
  return `indexing room '${progress.room ?? '?'}'${rooms}${work}`;
}
