import { join } from 'node:path';

/**
 * Where everything lives under `$MYCELIUM_HOME`: the one module that names the home's folders and
 * files. Every other module asks here instead of joining names by hand, so the layout table in the
 * README is this file. Callers validate room names and handles before they reach a path.
 *
 * Only the rooms hold the truth; everything else here is local state of this machine (caches,
 * cursors, counters, the daemon's files) that never syncs and never shows in a room's `git status`.
 */

/** `rooms/`: one folder per room (or a symlink to a room added with `room add`). */
export function roomsDir(home: string): string {
  return join(home, 'rooms');
}

/** `config.toml`: the global config. */
export function globalConfigPath(home: string): string {
  return join(home, 'config.toml');
}

/** `locks/`: cross-process write locks, outside the rooms. */
export function locksDir(home: string): string {
  return join(home, 'locks');
}

/** `index/<room>/`: a room's search index (a cache, safe to delete). */
export function indexDir(home: string, room: string): string {
  return join(home, 'index', room);
}

/** `events/`: one append-only event log per room, written by the daemon. */
export function eventsDir(home: string): string {
  return join(home, 'events');
}

/** `events/<room>.jsonl`. */
export function eventLogPath(home: string, room: string): string {
  return join(eventsDir(home), `${room}.jsonl`);
}

/** `daemon/` (mode 0700): the daemon's lock, address, log, start progress and watcher state. */
export function daemonDir(home: string): string {
  return join(home, 'daemon');
}

/** `daemon/daemon.pid`: the one-daemon-per-home lock. */
export function pidFilePath(home: string): string {
  return join(daemonDir(home), 'daemon.pid');
}

/** `daemon/daemon.json` (mode 0600): `{pid, port, token, started_at}`, how local clients reach the daemon. */
export function infoFilePath(home: string): string {
  return join(daemonDir(home), 'daemon.json');
}

/** `daemon/starting.json`: what a daemon still catching up is doing; gone once it is ready. */
export function startingFilePath(home: string): string {
  return join(daemonDir(home), 'starting.json');
}

/** `daemon/daemon.log`: the output of a detached daemon. */
export function daemonLogPath(home: string): string {
  return join(daemonDir(home), 'daemon.log');
}

/** `daemon/state/<room>.json`: the watcher's saved view of a room. */
export function roomStatePath(home: string, room: string): string {
  return join(daemonDir(home), 'state', `${room}.json`);
}

/** `sync/<room>.json`: an HTTP-cloned room's server, feed cursor and base hashes (never a token). */
export function syncStatePath(home: string, room: string): string {
  return join(home, 'sync', `${room}.json`);
}

/** `.staging/`: HTTP clones being built (`clone-<pid>-<hex>/`, each a small home of its own). */
export function cloneStagingRoot(home: string): string {
  return join(home, '.staging');
}

/** `ingest/`: the knowledge-ingest forwarder's outbox, attempt log and dedupe marks. */
export function ingestDir(home: string): string {
  return join(home, 'ingest');
}

/** `triggers/`: the synthesis write counters. */
export function triggersDir(home: string): string {
  return join(home, 'triggers');
}

/** `triggers/<room>.count`: one byte per write since the last synthesis check. */
export function writeCounterPath(home: string, room: string): string {
  return join(triggersDir(home), `${room}.count`);
}

/** `cache/messages/<room>/`: the messages index of a room (a cache). */
export function messageIndexDir(home: string, room: string): string {
  return join(home, 'cache', 'messages', room);
}

/** `cache/messages/<room>.json`: the one-file messages cache of earlier versions (removed when seen). */
export function legacyMessageIndexPath(home: string, room: string): string {
  return join(home, 'cache', 'messages', `${room}.json`);
}

/** `cache/digest/<room>/<handle>.json`: the parts of a handle's last digest, each with the stamp it was made under (a cache). */
export function digestCachePath(home: string, room: string, handle: string): string {
  return join(home, 'cache', 'digest', room, `${handle}.json`);
}

/** `cursors/<room>/`: read cursors of a room, one file per handle. */
export function cursorsDir(home: string, room: string): string {
  return join(home, 'cursors', room);
}

/** `cursors/<room>/<handle>.json`: a handle's inbox cursor. */
export function cursorPath(home: string, room: string, handle: string): string {
  return join(cursorsDir(home, room), `${handle}.json`);
}

/** `cursors/<room>/sessions/<id>/`: what a negotiation session delivered to whom. */
export function sessionCursorsDir(home: string, room: string, session: string): string {
  return join(cursorsDir(home, room), 'sessions', session);
}

/** `claims-epoch/`: the claim epoch counters. */
export function claimEpochsDir(home: string): string {
  return join(home, 'claims-epoch');
}

/** `claims-epoch/<room>.json`: the last claim epoch handed out in a room. */
export function claimEpochPath(home: string, room: string): string {
  return join(claimEpochsDir(home), `${room}.json`);
}

/** `server/web-sessions.json`: the web page's live login sessions (hashes of their cookies, never a cookie or the token). */
export function webSessionsPath(home: string): string {
  return join(home, 'server', 'web-sessions.json');
}

/** `clash-notices/<room>/`: the clash notices this home has sent or seen for a room, one marker file each. */
export function clashNoticesDir(home: string, room: string): string {
  return join(home, 'clash-notices', room);
}
