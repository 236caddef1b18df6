/**
 * Reading a session's files for one look (issue 14), incrementally. A look needs session.md, the
 * positions and the current round's replies, nothing of the rounds before; so it lists two folders
 * (`positions/`, `rounds/<n>/`), never the whole session folder (which grows by a folder a round).
 *
 * Positions and replies are created once and never rewritten (`room.create`), and one process looks
 * at the same session many times (`negotiate auto`, `session await`, the daemon, the look before
 * the lock and the read under it), so each decoded file is kept in this process, keyed by its path
 * and checked by lstat (inode, mtime, size) before it is used again: a file replaced or edited by
 * hand is a new stamp and is read again, so what a look sees is always what is on disk. session.md
 * changes every round and is always read.
 */
import { lstat } from 'node:fs/promises';
import type { Memory, Room } from '../../room.js';
import { type Position, type Reply, SESSIONS_PREFIX, readPosition, readReply, roundPrefix } from './format.js';

interface Kept {
  ino: number;
  mtimeMs: number;
  size: number;
  value: Position | Reply;
}

/** Decoded files kept by this process. Bounded: a long-lived process (daemon, server) sees many sessions. */
const kept = new Map<string, Kept>();
const MAX_KEPT = 4_096;

async function readKept<T extends Position | Reply>(room: Room, key: string, decode: (memory: Memory) => T): Promise<T> {
  const path = room.pathOf(key);
  // A stamp taken before the read: if the file changes in between, the stamp no longer matches the
  // next time and the file is read again (never a stale value under a current stamp).
  const stamp = await lstat(path).catch(() => undefined);
  const hit = kept.get(path);
  if (stamp && hit && hit.ino === stamp.ino && hit.mtimeMs === stamp.mtimeMs && hit.size === stamp.size) return hit.value as T;
  const value = decode(await room.get(key));
  if (stamp?.isFile()) {
    kept.delete(path);
    kept.set(path, { ino: stamp.ino, mtimeMs: stamp.mtimeMs, size: stamp.size, value });
    if (kept.size > MAX_KEPT) kept.delete(kept.keys().next().value as string);
  }
  return value;
}

/** Every position of the session, in key order. */
export async function readPositions(room: Room, id: string): Promise<Position[]> {
  const prefix = `${SESSIONS_PREFIX}${id}/positions/`;
  const keys = await room.keys([], prefix);
  return Promise.all(keys.map((key) => readKept(room, key, (m) => readPosition(m, key.slice(prefix.length)))));
}

/** The replies of one round, in key order (none before round 1). */
export async function readReplies(room: Room, id: string, round: number): Promise<Reply[]> {
  if (round < 1) return [];
  const prefix = roundPrefix(id, round);
  const keys = await room.keys([], prefix);
  return Promise.all(keys.map((key) => readKept(room, key, (m) => readReply(m, key.slice(prefix.length), round))));
}
