/**
 * The web page's login sessions, kept by the server (issue 16), so one session can be ended on its
 * own: Log out voids the cookie it was sent with, on every server of this home, while other
 * sessions go on. A session cookie is 32 random bytes; the server keeps only their SHA-256, with
 * the session's expiry and a mark of the token it was made under (an HMAC), in
 * `$MYCELIUM_HOME/server/web-sessions.json`, so sessions survive a restart and a changed token voids
 * them all. Every server of the home reads the file again when it changed (one stat per request
 * that carries a cookie); writes are read-modify-write under a lock, atomic.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../../fs-atomic.js';
import { webSessionsPath } from '../../home-paths.js';
import { withLock } from '../../lock.js';
import { tokenMatches } from '../guard.js';

/** A week: a person logs in again after that. */
export const SESSION_MAX_AGE_S = 7 * 24 * 3600;
/** Most sessions kept; a login beyond it ends the oldest. */
export const SESSIONS_KEPT = 1_000;

interface StoredSession {
  /** ms since the epoch. */
  expires: number;
  /** HMAC of a fixed label under the token the session was made under. */
  mark: string;
}

type Sessions = Record<string, StoredSession>;

const digest = (cookie: string) => createHash('sha256').update(cookie).digest('hex');

export class WebSessions {
  private sessions: Sessions = {};
  /** The file's mtime and size when last read ('' before the first read or when it is missing). */
  private seen = '';
  private readonly path: string;
  private readonly mark: string;

  constructor(
    private readonly home: string,
    token: string,
    private readonly now: () => number = Date.now,
  ) {
    this.path = webSessionsPath(home);
    this.mark = createHmac('sha256', token).update('mycelium web session v2').digest('base64url');
  }

  /** Starts a session; returns its cookie value (never stored). */
  async create(): Promise<string> {
    const cookie = randomBytes(32).toString('base64url');
    await this.change((sessions) => {
      sessions[digest(cookie)] = { expires: this.now() + SESSION_MAX_AGE_S * 1000, mark: this.mark };
    });
    return cookie;
  }

  /** Whether a cookie value is a live session of this token. */
  valid(cookie: string | undefined): boolean {
    if (!cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return false;
    this.refresh();
    const session = this.sessions[digest(cookie)];
    return session !== undefined && session.expires > this.now() && tokenMatches(session.mark, this.mark);
  }

  /** Ends the session of this cookie value (nothing when it is none). */
  async revoke(cookie: string | undefined): Promise<void> {
    if (!cookie) return;
    const key = digest(cookie);
    this.refresh();
    if (!this.sessions[key]) return;
    await this.change((sessions) => {
      delete sessions[key];
    });
  }

  /** Reads the file again when it changed since the last read (another server, or a restart). */
  private refresh(): void {
    let stamp = '';
    try {
      const info = statSync(this.path);
      stamp = `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch {
      // none yet
    }
    if (stamp === this.seen) return;
    this.sessions = stamp === '' ? {} : this.read();
    this.seen = stamp;
  }

  private read(): Sessions {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as { sessions?: unknown };
      const sessions: Sessions = {};
      if (parsed && typeof parsed.sessions === 'object' && parsed.sessions !== null) {
        for (const [key, value] of Object.entries(parsed.sessions as Record<string, Partial<StoredSession>>)) {
          if (typeof value?.expires === 'number' && typeof value.mark === 'string') sessions[key] = { expires: value.expires, mark: value.mark };
        }
      }
      return sessions;
    } catch {
      return {}; // unreadable or torn by hand: every session is void, people log in again
    }
  }

  /** Read, change, drop expired and surplus sessions, write: under the home's lock, so servers never lose each other's logins. */
  private async change(edit: (sessions: Sessions) => void): Promise<void> {
    await withLock(this.home, 'web-sessions', async () => {
      this.seen = '';
      this.refresh();
      const sessions = { ...this.sessions };
      edit(sessions);
      const now = this.now();
      const live = Object.entries(sessions)
        .filter(([, s]) => s.expires > now)
        .sort(([, a], [, b]) => b.expires - a.expires)
        .slice(0, SESSIONS_KEPT);
      await writeFileAtomic(this.path, JSON.stringify({ sessions: Object.fromEntries(live) }) + '\n');
      this.sessions = Object.fromEntries(live);
      this.seen = '';
    });
  }
}
