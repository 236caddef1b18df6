import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../process-alive.js';

/** Where the daemon keeps its files: `$MYCELIUM_HOME/daemon/`, readable only by the user. */
export function daemonDir(home: string): string {
  return join(home, 'daemon');
}

/** Holds the pid of the daemon that owns this home: the one-daemon-per-home lock. */
export function pidFilePath(home: string): string {
  return join(daemonDir(home), 'daemon.pid');
}

/** `{pid, port, token, started_at}`, mode 0600: how local clients reach the daemon. */
export function infoFilePath(home: string): string {
  return join(daemonDir(home), 'daemon.json');
}

/** What a daemon that is still catching up is doing (`{pid, started_at, step, room?, done?, total?}`); gone once it is ready. */
export function startingFilePath(home: string): string {
  return join(daemonDir(home), 'starting.json');
}

export function daemonLogPath(home: string): string {
  return join(daemonDir(home), 'daemon.log');
}

/** The watcher's saved view of a room, so a restarted daemon reports what changed while it was down. */
export function roomStatePath(home: string, room: string): string {
  return join(daemonDir(home), 'state', `${room}.json`);
}

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
