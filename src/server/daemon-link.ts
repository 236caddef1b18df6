import { DaemonRunningError } from '../errors.js';
import { runningDaemon } from '../daemon/files.js';
import { checkSearchOptions, homeStatus, notifyWritten, searchMemories } from '../daemon/client.js';
import type { HomeStatus } from '../daemon/status.js';
import type { SearchOptions, SearchResponse } from '../search/types.js';
import { readSettings } from '../settings.js';

/**
 * The server's tie to the home's daemon, which owns the index, the watcher and the event log: serve
 * talks to the daemon already running for the home, or runs one in its own process (serve is then
 * the daemon with a network face). Either way there is one indexer and one event log per home.
 */
export interface DaemonLink {
  /** True when this process runs the daemon. */
  readonly own: boolean;
  search(room: string, query: string, options: SearchOptions): Promise<SearchResponse>;
  /** Tells the daemon a key was just written, so the next search sees it without waiting for the watcher. */
  touched(room: string, key: string): Promise<void>;
  /** The home's status from the daemon's known state (room counts and last changes without a walk). */
  status(): Promise<HomeStatus>;
  close(): Promise<void>;
}

export async function linkDaemon(home: string): Promise<DaemonLink> {
  const settings = readSettings(process.env); // serve is a face: it reads the environment once, here
  let stop: (() => Promise<void>) | undefined;
  let ownStatus: (() => HomeStatus) | undefined;
  let ownSearch: ((room: string, query: string, options: SearchOptions) => Promise<SearchResponse>) | undefined;
  let touch = (room: string, key: string) => notifyWritten(home, room, [key]);
  if (!runningDaemon(home)) {
    const { Daemon } = await import('../daemon/daemon.js');
    try {
      const daemon = await Daemon.start(home, { settings, log: (line) => void process.stderr.write(`mycelium daemon: ${line}\n`) });
      stop = () => daemon.stop();
      touch = async (room, key) => daemon.touch(room, [key]);
      ownSearch = (room, query, options) => daemon.search(room, query, options);
      ownStatus = () => daemon.status();
    } catch (err) {
      if (!(err instanceof DaemonRunningError)) throw err; // started by someone else meanwhile: use theirs
    }
  }
  return {
    own: stop !== undefined,
    async search(room, query, options) {
      if (ownSearch) return ownSearch(room, query, checkSearchOptions(options));
      return searchMemories(home, room, query, { ...options, settings }); // the home's daemon, or this process if it went away
    },
    touched: (room, key) => touch(room, key),
    async status() {
      return ownStatus ? ownStatus() : homeStatus(home, settings); // the home's daemon, or a walk if it went away
    },
    async close() {
      await stop?.();
    },
  };
}
