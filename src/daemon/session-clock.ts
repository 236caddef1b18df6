/**
 * The daemon's clock for negotiations (issue 14): a session whose round deadline or join window
 * passes moves on even when every agent has stopped. The daemon only calls coordination's own
 * step (`OverdueSessions.stepOverdue`, under the session's lock like any participant's look); it
 * decides nothing itself. It looks at a room when a file under `sessions/` changes, on the
 * reconcile tick, and at the earliest deadline still ahead (one timer per room).
 *
 * Rooms cloned from a server (`room clone http://…`) are skipped: their mediator is the server's,
 * and stepping the local copy would write files that collide with it at the next sync.
 */
import type { LlmProvider } from '../coord/llm.js';
import { defaultPlanPort } from '../coord/negotiation/plan-choice.js';
import { OverdueSessions } from '../coord/negotiation/overdue.js';
import { SESSIONS_PREFIX } from '../coord/negotiation/format.js';
import { Room } from '../room.js';
import type { Logger } from '../settings.js';
import { readSyncState } from '../sync/sync-state.js';

interface RoomClock {
  overdue: OverdueSessions | null;
  timer: NodeJS.Timeout | null;
  /** One look at a time; a change during a look asks for one more. */
  running: Promise<void> | null;
  again: boolean;
  /** Problems already logged (a corrupt session.md is named once, not at every change). */
  reported: Set<string>;
}

/** setTimeout's ceiling (about 24.8 days); a later deadline is looked at again when the timer fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class SessionClock {
  private readonly rooms = new Map<string, RoomClock>();
  private closed = false;

  constructor(
    private readonly home: string,
    private readonly llm: () => LlmProvider | undefined,
    private readonly log: Logger,
  ) {}

  /** Keys the watcher saw change in a room: a look when any is a session's file. */
  changed(room: string, keys: string[]): void {
    if (keys.some((k) => k.startsWith(SESSIONS_PREFIX))) this.look(room);
  }

  /** Looks at a room now (coalesced with a look already running). */
  look(room: string): void {
    if (this.closed) return;
    let clock = this.rooms.get(room);
    if (!clock) this.rooms.set(room, (clock = { overdue: null, timer: null, running: null, again: false, reported: new Set() }));
    if (clock.running) {
      clock.again = true;
      return;
    }
    const c = clock;
    c.running = (async () => {
      do {
        c.again = false;
        await this.lookOnce(room, c).catch((err) => this.log(`cannot step the negotiations of room '${room}': ${(err as Error).message}`));
      } while (c.again && !this.closed);
      c.running = null;
    })();
  }

  /** A room that went away: its timer stops. */
  drop(room: string): void {
    const clock = this.rooms.get(room);
    if (clock?.timer) clearTimeout(clock.timer);
    this.rooms.delete(room);
  }

  /** Stops every timer and waits for the looks under way. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.rooms.values()].map((c) => c.running);
    for (const clock of this.rooms.values()) if (clock.timer) clearTimeout(clock.timer);
    await Promise.all(running);
  }

  private async lookOnce(name: string, clock: RoomClock): Promise<void> {
    if (await readSyncState(this.home, name)) return; // a server's room: its mediator runs there
    clock.overdue ??= new OverdueSessions(await Room.open(this.home, name));
    const look = await clock.overdue.stepOverdue({ plan: defaultPlanPort, llm: this.llm() });
    for (const problem of look.problems) if (!clock.reported.has(problem)) this.log(problem);
    clock.reported = new Set(look.problems);
    if (clock.timer) clearTimeout(clock.timer);
    clock.timer = null;
    if (look.next === undefined || this.closed) return;
    // A millisecond past the deadline: the mediator steps only once the deadline is behind it.
    clock.timer = setTimeout(() => {
      clock.timer = null;
      this.look(name);
    }, Math.min(MAX_TIMER_MS, Math.max(0, look.next - Date.now() + 1)));
    clock.timer.unref();
  }
}
