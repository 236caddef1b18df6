import { readFileSync } from 'node:fs';
import { infoFilePath } from '../home-paths.js';
import { processAlive } from '../process-alive.js';

/** How to reach the running daemon of a home (its daemon.json), and whether one runs. */

export interface DaemonInfo {
  pid: number;
  port: number;
  token: string;
  started_at: string;
}

/** True when `pid` is a live mycelium process (on Linux its command line says so: a reused pid does not count). */
export function isLiveDaemon(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('mycelium');
  } catch {
    return true; // no /proc (macOS): trust the signal-0 probe
  }
}

/**
 * The running daemon's address, or null. Cheap enough for every search: two small file reads and a
 * signal-0 probe, no connection.
 */
export function runningDaemon(home: string): DaemonInfo | null {
  let info: DaemonInfo;
  try {
    info = JSON.parse(readFileSync(infoFilePath(home), 'utf8')) as DaemonInfo;
  } catch {
    return null;
  }
  return isLiveDaemon(info.pid) ? info : null;
}
