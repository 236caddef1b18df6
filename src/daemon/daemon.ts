import { chmod, mkdir, stat, unlink } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { ChangeEvent } from '../events/change-event.js';
import { llmForHome } from '../coord/llm.js';
import { TriggerRunner } from '../coord/synthesis/trigger-runner.js';
import { EventLog, readEvents } from '../events/log.js';
import { flushIngest } from '../ingest/index.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { roomDir, roomNames, roomOptions } from '../room.js';
import type { IndexProgress, SearchOptions, SearchResponse } from '../search/types.js';
import { keyGlob } from '../watch/glob.js';
import { HomeWatcher } from '../watch/home-watcher.js';
import { ChangeNormalizer } from '../watch/normalizer.js';
import { RoomState } from '../watch/room-state.js';
import { daemonDir, infoFilePath, roomStatePath } from '../home-paths.js';
import type { DaemonInfo } from '../ipc/daemon-info.js';
import { openIndexOwner, type IndexOwner } from './index-owner.js';
import { IpcServer, type IpcHandler } from './ipc-server.js';
import type { IpcOp, IpcReplyOf, IpcRequestOf } from './protocol.js';
import { acquireDaemonLock } from './pid-lock.js';
import { SessionClock } from './session-clock.js';
import { StartProgressFile } from './start-progress.js';
import type { HomeStatus, RoomStatus } from './status.js';
import type { Logger, Settings } from '../settings.js';

export interface DaemonOptions {
  /** Full reconcile of every room this often. Default 5 minutes; `MYCELIUM_RECONCILE_MS`. */
  reconcileMs?: number;
  /** Per-path quiet time before a change is read. Default 20 ms; `MYCELIUM_WATCH_DEBOUNCE_MS`. */
  debounceMs?: number;
  /** Most paths per batch. Default 500. */
  batchMax?: number;
  /** Called once the daemon is watching and reachable. */
  onReady?(info: DaemonInfo): void;
}

/** What the face that starts a daemon hands it: its settings and where its log lines go. */
export interface DaemonHost {
  settings: Settings;
  /** One line per problem the daemon survives (the CLI writes them to stderr, the daemon's log). */
  log: Logger;
}

interface WatchedRoom {
  state: RoomState;
  normalizer: ChangeNormalizer;
  saveTimer: NodeJS.Timeout | null;
}

interface Subscriber {
  room: string | null;
  matches(key: string): boolean;
  /** Highest cursor sent: replayed and live events are deduplicated by it. */
  lastSent: number;
  /** Live events held back while the replay is read. */
  held: ChangeEvent[] | null;
  send(event: ChangeEvent): void;
}

/** The watcher's state is saved at most this often; after a crash the event log fills the gap. */
const STATE_SAVE_DELAY_MS = 2_000;

/** How often the daemon looks for knowledge-ingest payloads to deliver. */
const INGEST_POLL_MS = 1_000;

/** Bytes of unread events a subscriber may have queued before it is dropped. */
const MAX_SUBSCRIBER_BACKLOG = 16 * 1024 * 1024;

/** One log line for a problem the daemon survives. */
function problemLine(what: string, err: unknown): string {
  return `${what}: ${(err as Error)?.message?.split('\n')[0] ?? String(err)}`;
}

/**
 * The watcher daemon of one home: watches every room, turns changes into events, logs them,
 * keeps the index (single writer) in step, serves status, search and subscriptions over local IPC.
 */
export class Daemon {
  private readonly rooms = new Map<string, WatchedRoom>();
  private readonly subscribers = new Set<Subscriber>();
  private watcher: HomeWatcher | null = null;
  private ipc: IpcServer | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private roomSync: Promise<void> = Promise.resolve();
  private readonly startedAt = new Date().toISOString();
  private resolveStopped!: () => void;
  /** Rooms' synthesis triggers, run after changes the watcher saw (hand edits included). */
  private readonly triggers: TriggerRunner;
  /** Delivers the knowledge-ingest outbox every second while it holds anything (one pass at a time). */
  private ingestTimer: NodeJS.Timeout | null = null;
  private ingestPass: Promise<void> | null = null;
  /** Steps negotiations whose round deadline or join window passed, when no agent is there to. */
  private readonly sessions: SessionClock;
  /** Resolves when the daemon has stopped and released its lock. */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  private constructor(
    readonly home: string,
    private readonly log: EventLog,
    private readonly index: IndexOwner,
    private readonly release: () => Promise<void>,
    private readonly options: Required<Omit<DaemonOptions, 'onReady'>>,
    /** What the catch-up is doing, for `daemon start` and `daemon status` (no-ops once ready). */
    private readonly startProgress: StartProgressFile,
    private readonly host: DaemonHost,
  ) {
    this.triggers = new TriggerRunner(home, {
      llm: () => llmForHome(home, host.settings.env),
      room: roomOptions(host.settings.env),
      log: host.log,
      seesEveryChange: true, // the watcher hears every change: the room is read only near the threshold
      knownFiles: (room) => this.rooms.get(room)?.state.files, // a check reads only files changed since the last synthesis
    });
    this.sessions = new SessionClock(home, () => llmForHome(home, host.settings.env), host.log);
  }

  private complain(what: string, err: unknown): void {
    this.host.log(problemLine(what, err));
  }

  /** Takes the home's daemon lock (or fails with DaemonRunningError), catches up, and starts watching. */
  static async start(home: string, host: DaemonHost, options: DaemonOptions = {}): Promise<Daemon> {
    const lock = await acquireDaemonLock(home);
    const progress = new StartProgressFile(home, new Date().toISOString());
    try {
      await chmod(daemonDir(home), 0o700);
      await progress.update({}, true);
      const onProgress = (room: string, step: IndexProgress) => void progress.update({ room, phase: step.phase, done: step.done, total: step.total });
      const daemon = new Daemon(home, await EventLog.open(home, host.settings.eventLogMax), await openIndexOwner(home, { onProgress, settings: host.settings, log: host.log }), lock.release, {
        reconcileMs: options.reconcileMs ?? host.settings.reconcileMs,
        debounceMs: options.debounceMs ?? host.settings.watchDebounceMs,
        batchMax: options.batchMax ?? 500,
      }, progress, host);
      await daemon.run();
      await progress.finish();
      options.onReady?.(daemon.info());
      return daemon;
    } catch (err) {
      await progress.finish();
      await lock.release();
      throw err;
    }
  }

  private async run(): Promise<void> {
    // Watch first, so nothing written during the catch-up reconcile is missed.
    this.watcher = await HomeWatcher.start(this.home, {
      onKey: (room, key) => this.rooms.get(room)?.normalizer.touch(key),
      onFolderGone: (room, prefix) => {
        const watched = this.rooms.get(room);
        if (!watched) return;
        for (const key of watched.state.files.keys()) if (prefix === '' || key.startsWith(prefix)) watched.normalizer.touch(key);
      },
      onFolderAdded: (room, prefix) => this.rooms.get(room)?.normalizer.touchFolder(prefix),
      onRoom: () => void this.syncRooms(),
      onError: (err) => this.complain('watch error', err),
    });
    await this.reconcileAll();
    const ops: { [Op in IpcOp]: (m: IpcRequestOf<Op>) => Promise<IpcReplyOf<Op>> } = {
      ping: async () => ({ pid: process.pid }),
      status: async () => ({ status: this.status() }),
      search: async (m) => ({ response: await this.search(String(m.room), String(m.query), (m.options ?? {}) as SearchOptions) }),
      // A writer in another process says which keys it just wrote, so a search right after a write
      // sees it even before the file-system event arrives.
      touch: async (m) => {
        this.touch(String(m.room), Array.isArray(m.keys) ? m.keys.map(String) : []);
        return {};
      },
      reindex: async (m) => {
        const room = String(m.room);
        const mode = m.mode === 'bm25' ? 'bm25' : undefined;
        return this.inRoomQueue(room, () => this.index.reindex(room, mode));
      },
      // After every change already seen in the room is handled, so the known state is the files'.
      trigger: async (m) => {
        const room = String(m.room);
        await this.inRoomQueue(room, async () => undefined, true);
        if (!m.run) return { pending: await this.triggers.pending(room) };
        const run = await this.triggers.checkNow(room, typeof m.handle === 'string' ? m.handle : undefined);
        return { run, pending: run.pending };
      },
      stop: async () => {
        setImmediate(() => void this.stop());
        return { pid: process.pid };
      },
    };
    const handlers: Record<string, IpcHandler> = {
      subscribe: async (m, reply, socket) => this.subscribe(m, reply, socket),
    };
    for (const [op, run] of Object.entries(ops) as [IpcOp, (m: unknown) => Promise<object>][]) {
      handlers[op] = async (m, reply) => reply({ ok: true, ...(await run(m)) });
    }
    this.ipc = await IpcServer.listen(handlers);
    await writeFileAtomic(infoFilePath(this.home), JSON.stringify(this.info()) + '\n');
    await chmod(infoFilePath(this.home), 0o600);
    this.reconcileTimer = setInterval(() => void this.reconcileAll(), this.options.reconcileMs);
    this.reconcileTimer.unref();
    this.ingestTimer = setInterval(() => this.deliverIngest(), INGEST_POLL_MS);
    this.ingestTimer.unref();
  }

  /**
   * Runs index work for a room after everything already written to it is handled, in the room's
   * queue (so a search sees the latest files, and the index never has two writers). Work that only
   * reads (`shared`) runs alongside other readers, never alongside a writer.
   */
  private async inRoomQueue<T>(room: string, work: () => Promise<T>, shared = false): Promise<T> {
    if (!this.rooms.has(room)) await this.syncRooms(); // created a moment ago
    const watched = this.rooms.get(room);
    if (!watched) return work(); // unknown room: the index reports it
    await watched.normalizer.drain();
    return shared ? watched.normalizer.shared(work) : watched.normalizer.exclusive(work);
  }

  /** A search from the warm index, after every change already seen in the room is indexed; searches run together. */
  search(room: string, query: string, options: SearchOptions): Promise<SearchResponse> {
    return this.inRoomQueue(room, () => this.index.search(room, query, options), true);
  }

  private deliverIngest(): void {
    if (this.ingestPass) return;
    this.ingestPass = flushIngest(this.home, this.host.settings.env)
      .then(() => undefined, (err) => this.complain('cannot deliver to knowledge ingest', err))
      .finally(() => (this.ingestPass = null));
  }

  /** Keys a writer just changed: handled like file-system events, without waiting for them. */
  touch(room: string, keys: string[]): void {
    const watched = this.rooms.get(room);
    for (const key of keys) watched?.normalizer.touch(key);
  }

  info(): DaemonInfo {
    return { pid: process.pid, port: this.ipc?.port ?? 0, token: this.ipc?.token ?? '', started_at: this.startedAt };
  }

  /** Adds rooms that appeared and drops rooms that went away; one sync at a time. */
  private syncRooms(): Promise<void> {
    const sync = async () => {
      const present = await roomNames(this.home).catch((err) => (this.complain('cannot list the rooms', err), [...this.rooms.keys()]));
      void this.startProgress.update({ rooms_total: present.length });
      for (const name of present) if (!this.rooms.has(name)) await this.addRoom(name).catch((err) => this.complain(`cannot watch room '${name}'`, err));
      for (const name of [...this.rooms.keys()]) if (!present.includes(name)) await this.dropRoom(name).catch((err) => this.complain(`cannot drop room '${name}'`, err));
    };
    this.roomSync = this.roomSync.then(sync, sync);
    return this.roomSync;
  }

  private async addRoom(name: string): Promise<void> {
    if (this.rooms.has(name)) return;
    // The room is watched from here on, even if its index cannot be built yet (a reconcile retries).
    const state = await RoomState.load(name, roomDir(this.home, name), roomStatePath(this.home, name));
    state.catchUp((await readEvents(this.home, name, state.savedCursor)).events);
    const watched: WatchedRoom = { state, normalizer: null!, saveTimer: null };
    watched.normalizer = new ChangeNormalizer(state, (events, keys, whole) => this.handle(name, events, keys, whole), { ...this.options, log: this.host.log });
    this.rooms.set(name, watched);
    await this.startProgress.update({ step: 'indexing', room: name, rooms_done: this.rooms.size - 1, phase: undefined, done: undefined, total: undefined }, true);
    await watched.normalizer.reconcile();
    await watched.normalizer.exclusive(() => this.index.reconcile(name)).catch((err) => this.complain(`cannot build the index of room '${name}'`, err));
    // Files can land while the watcher is still setting up its watches (a new room, or the start-up
    // scan): walk the room again shortly. A stat walk; only new or changed files are read.
    watched.normalizer.touchFolder('');
  }

  private async dropRoom(name: string): Promise<void> {
    const watched = this.rooms.get(name);
    if (!watched) return;
    const gone = await stat(roomDir(this.home, name)).then(
      (info) => !info.isDirectory(),
      () => true,
    );
    if (!gone) return;
    this.rooms.delete(name);
    this.sessions.drop(name);
    await watched.normalizer.close();
    if (watched.saveTimer) clearTimeout(watched.saveTimer);
    await this.publish(name, watched.state.dropAll());
    await this.index.dropRoom(name);
    await unlink(roomStatePath(this.home, name)).catch(() => {});
  }

  /** The safety net: every room's files against the known state and the index. */
  private async reconcileAll(): Promise<void> {
    await this.syncRooms();
    for (const [name, watched] of this.rooms) {
      await watched.normalizer.reconcile();
      await watched.normalizer.exclusive(() => this.index.reconcile(name)).catch((err) => this.complain(`cannot reconcile the index of room '${name}'`, err));
      this.sessions.look(name);
    }
  }

  /**
   * One batch of a room's events: index first (so a subscriber that hears of a change can find it),
   * then log and tell. Events of a whole-room walk (`whole`: the first start, which knows no file
   * yet, or the periodic safety net) are indexed by the index's own stat walk, which reads only the
   * files whose mtime or size differ from what it holds: refreshing all 38k keys of a first start
   * would decode the stored index and read every file a second time (+~70 MiB peak on tldr-pages).
   * Re-running a batch is harmless: a refresh reads the files as they are, and the log was not written.
   */
  private async handle(room: string, events: ChangeEvent[], keys: string[], whole: boolean): Promise<void> {
    // A failure here (the index or the event log cannot be written) fails the batch: the watcher
    // takes it back and retries it with a backoff (ChangeNormalizer.deliver), and status shows it.
    if (whole) await this.index.reconcile(room);
    else await this.index.refresh(room, keys);
    if (events.length > 0) await this.publish(room, events);
    if (events.length > 0) this.triggers.changed(room, events.map((e) => e.key));
    if (events.length > 0) this.sessions.changed(room, events.map((e) => e.key));
    this.scheduleSave(room);
  }

  private async publish(room: string, events: ChangeEvent[]): Promise<void> {
    if (events.length === 0) return;
    const logged = await this.log.append(room, events);
    for (const subscriber of this.subscribers) {
      if (subscriber.room !== null && subscriber.room !== room) continue;
      for (const event of logged) {
        if (subscriber.held) subscriber.held.push(event);
        else if (event.cursor! > subscriber.lastSent) subscriber.send(event);
      }
    }
  }

  private scheduleSave(room: string): void {
    const watched = this.rooms.get(room);
    if (!watched || watched.saveTimer) return;
    watched.saveTimer = setTimeout(() => {
      watched.saveTimer = null;
      // In the room's queue, so the saved state never runs ahead of what the log holds.
      void watched.normalizer.exclusive(() => this.saveState(room, watched));
    }, STATE_SAVE_DELAY_MS);
  }

  private async saveState(room: string, watched: WatchedRoom): Promise<void> {
    try {
      await mkdir(daemonDir(this.home) + '/state', { recursive: true });
      await watched.state.save(roomStatePath(this.home, room), this.log.cursor);
    } catch (err) {
      this.complain(`cannot save the state of room '${room}'`, err);
    }
  }

  /** Streams events matching a pattern: first the replay after `since`, then live ones, each exactly once. */
  private async subscribe(m: Record<string, unknown>, reply: (v: Record<string, unknown>) => void, socket: Socket): Promise<'stream'> {
    const room = typeof m.room === 'string' ? m.room : null;
    const matches = keyGlob(typeof m.pattern === 'string' ? m.pattern : '**');
    const since = typeof m.since === 'number' ? m.since : null;
    const subscriber: Subscriber = {
      room,
      matches,
      lastSent: since ?? this.log.cursor,
      held: since === null ? null : [],
      send: (event) => {
        subscriber.lastSent = event.cursor!;
        if (!matches(event.key) && !(event.from !== undefined && matches(event.from))) return;
        if (socket.writableLength > MAX_SUBSCRIBER_BACKLOG) {
          // A subscriber that stopped reading must not grow the daemon without bound.
          this.subscribers.delete(subscriber);
          reply({ ok: false, error: { code: 'too_slow', message: `subscriber fell behind at cursor ${event.cursor! - 1}; resume with --since`, exitCode: 4 } });
          return void socket.end();
        }
        reply({ ok: true, event });
      },
    };
    this.subscribers.add(subscriber);
    socket.on('close', () => this.subscribers.delete(subscriber));
    reply({ ok: true, subscribed: true, cursor: this.log.cursor });
    if (since !== null) {
      const rooms = room !== null ? [room] : [...new Set([...this.rooms.keys(), ...(await roomNames(this.home))])];
      const replay: ChangeEvent[] = [];
      for (const name of rooms) {
        const read = await readEvents(this.home, name, since);
        if (read.truncated) reply({ ok: true, truncated: true, room: name });
        replay.push(...read.events);
      }
      replay.sort((a, b) => a.cursor! - b.cursor!);
      for (const event of [...replay, ...subscriber.held!]) if (event.cursor! > subscriber.lastSent) subscriber.send(event);
      subscriber.held = null;
    }
    return 'stream';
  }

  status(): HomeStatus {
    const now = Date.now();
    const rooms: RoomStatus[] = [...this.rooms].sort(([a], [b]) => a.localeCompare(b)).map(([name, { state, normalizer }]) => ({
      name,
      memories: state.files.size,
      last_change: state.newestChange(),
      pending_events: normalizer.pending,
      index_lag_ms: normalizer.lagMs(now),
      problems: [...state.problems.values()],
      last_reconcile: state.lastReconcile,
      watch_failure: normalizer.failure,
    }));
    return {
      home: this.home,
      daemon: { running: true, pid: process.pid, started_at: this.startedAt },
      model: this.index.model(),
      cursor: this.log.cursor,
      rooms,
    };
  }

  /** Stops watching, handles what is pending, saves, and releases the lock. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.reconcileTimer) clearInterval(this.reconcileTimer);
      await this.watcher?.close();
      await this.triggers.close();
      await this.sessions.close();
      if (this.ingestTimer) clearInterval(this.ingestTimer);
      await this.ingestPass;
      for (const [name, watched] of this.rooms) {
        await watched.normalizer.drain();
        await watched.normalizer.close();
        if (watched.saveTimer) clearTimeout(watched.saveTimer);
        await this.saveState(name, watched);
      }
      await this.ipc?.close();
      await this.index.close();
      await this.release();
      this.resolveStopped();
    })();
    return this.stopping;
  }
}
