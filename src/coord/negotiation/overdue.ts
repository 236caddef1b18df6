/**
 * Sessions that time alone moves on (issue 14): a join window or a round deadline that passed. A
 * participant's `await` steps its session when the deadline comes, but when every agent has
 * stopped nobody looks; a host that runs anyway (the daemon) calls `stepOverdue` on its own clock
 * so the silent round still breaks, and the joining session still starts, on time.
 *
 * The host keeps one `OverdueSessions` per room: it remembers each session.md's state and deadline
 * by mtime and size, so a look reads only the session files that changed since the last one (a
 * concluded session is never read again) and an idle room costs one stat per session.
 */
import { stat } from 'node:fs/promises';
import { MyceliumError } from '../../errors.js';
import type { Room } from '../../room.js';
import { type Session, sessionKey } from './format.js';
import { type NegotiationDeps, advanceIfFree, readSessionFile, sessionIds } from './store.js';

interface Seen {
  /** session.md is written by atomic rename, so a rewrite is a new inode even within one mtime tick. */
  ino: number;
  mtimeMs: number;
  size: number;
  /** When the session next moves by time alone (ms since the epoch); undefined once concluded. */
  deadline: number | undefined;
}

export interface OverdueLook {
  /** Sessions this look stepped (a round timed out, a join window closed). */
  stepped: string[];
  /** The earliest deadline still ahead (ms since the epoch), for the host's next wake. */
  next: number | undefined;
  /** Session files that could not be read (corrupt, hand-edited): one line each, left as they are. */
  problems: string[];
}

/** When a session next moves by time alone: its join window while joining, its round deadline while active. */
export function deadlineOf(session: Session): number | undefined {
  if (session.state === 'joining') return Date.parse(session.join_deadline);
  if (session.state === 'active' && session.round_deadline) return Date.parse(session.round_deadline);
  return undefined;
}

export class OverdueSessions {
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly room: Room) {}

  /** Steps every session of the room whose deadline has passed; says when the next one falls due. */
  async stepOverdue(deps: NegotiationDeps): Promise<OverdueLook> {
    const now = (deps.now ?? (() => new Date()))().getTime();
    const look: OverdueLook = { stepped: [], next: undefined, problems: [] };
    const ids = await sessionIds(this.room);
    for (const id of [...this.seen.keys()]) if (!ids.includes(id)) this.seen.delete(id);
    for (const id of ids) {
      try {
        let deadline = await this.deadline(id);
        if (deadline !== undefined && deadline <= now && (await advanceIfFree(this.room, id, deps))) {
          look.stepped.push(id);
          deadline = await this.deadline(id);
        }
        // A deadline already behind us that stepped nothing (a lone joiner, a busy lock) waits for a file change.
        if (deadline !== undefined && deadline > now && (look.next === undefined || deadline < look.next)) look.next = deadline;
      } catch (err) {
        // A corrupt session.md (SessionCorruptError names the file), or one removed since the listing:
        // left as it is; the next look tries again.
        this.seen.delete(id);
        look.problems.push(err instanceof MyceliumError ? err.message : `session ${id} in room '${this.room.name}': ${(err as Error).message}`);
      }
    }
    return look;
  }

  /** The session's deadline, read again only when session.md changed since the last look. */
  private async deadline(id: string): Promise<number | undefined> {
    const path = this.room.pathOf(sessionKey(id));
    const info = await stat(path);
    const known = this.seen.get(id);
    if (known && known.ino === info.ino && known.mtimeMs === info.mtimeMs && known.size === info.size) return known.deadline;
    const deadline = deadlineOf(await readSessionFile(this.room, id));
    this.seen.set(id, { ino: info.ino, mtimeMs: info.mtimeMs, size: info.size, deadline });
    return deadline;
  }
}
