import { MyceliumError } from '../../errors.js';
import { Room, type RoomOptions } from '../../room.js';
import type { LlmProvider } from '../llm.js';
import { isSynthesisInput } from './select.js';
import { TRIGGER_KEY, pendingChanges, runTriggerIfDue, type TriggerRun } from './trigger.js';

export interface TriggerRunnerOptions {
  /** Who the syntheses it writes are by (default 'mycelium'). */
  handle?: string;
  /** How rooms are opened (the value limit the face resolved); default RoomOptions' defaults. */
  room?: RoomOptions;
  /** The LLM to use, asked afresh for each run (config may change); undefined: the digest. */
  llm?: () => LlmProvider | undefined;
  /** Where problems and runs are told (one line each); default: nowhere. */
  log?: (line: string) => void;
  /** Quiet time after a change before the trigger is checked, so a burst is checked once. Default 200 ms. */
  delayMs?: number;
  /**
   * True when `changed` hears of every change to the rooms (the daemon's watcher): the runner then
   * keeps a running upper bound of the changes since its last check and reads the room only when
   * that bound reaches the threshold, instead of walking the room after every batch. False (the
   * default, e.g. the MCP server, which hears only its own writes): every batch is a full check.
   */
  seesEveryChange?: boolean;
  /**
   * The room's files as the caller's watcher knows them (key → file time; the daemon's known state).
   * Given, a check reads only the files that may have changed since the last synthesis instead of
   * a stat of every file. Only for a caller that hears every change (`seesEveryChange`).
   */
  knownFiles?: (room: string) => ReadonlyMap<string, { mtimeMs: number }> | undefined;
  /**
   * True when the caller counts its own writes in the write counter (the MCP server without a
   * daemon): a check below the threshold then reads the counter's size, not the room, as the
   * CLI's detached check does.
   */
  counted?: boolean;
}

/** What the runner knows of a room since its last full check (only with `seesEveryChange`). */
interface Estimate {
  /** The room's threshold then; undefined: it had no trigger. */
  threshold?: number;
  /** Changes counted by that check. */
  counted: number;
  /** Input keys heard of since (deletions and renames too: an overcount is safe, never an undercount). */
  heard: Set<string>;
}

/**
 * Runs rooms' threshold triggers in a long-lived process (the daemon, the MCP server) after
 * changes, never inside the write that caused them: `changed` only schedules. One run at a time
 * per room; changes during a run schedule one more run after it.
 */
export class TriggerRunner {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly estimates = new Map<string, Estimate>();
  private closed = false;

  constructor(
    private readonly home: string,
    private readonly options: TriggerRunnerOptions = {},
  ) {}

  /** A room changed (these keys; none given: unknown). Synthesis output alone does not count. */
  changed(room: string, keys?: readonly string[]): void {
    if (this.closed) return;
    if (keys && !keys.some((key) => key === TRIGGER_KEY || isSynthesisInput(key))) return;
    if (keys && this.belowThreshold(room, keys)) return;
    if (this.running.has(room)) {
      this.again.add(room);
      return;
    }
    const run = this.loop(room).finally(() => this.running.delete(room));
    this.running.set(room, run);
  }

  /**
   * True when the room surely has not reached its threshold: the count of its last full check plus
   * every input key heard of since is still below it. The trigger itself changing, keys not given,
   * or no check yet: false (check the room).
   */
  private belowThreshold(room: string, keys: readonly string[]): boolean {
    const estimate = this.options.seesEveryChange ? this.estimates.get(room) : undefined;
    if (!estimate || keys.includes(TRIGGER_KEY)) {
      this.estimates.delete(room);
      return false;
    }
    for (const key of keys) if (isSynthesisInput(key)) estimate.heard.add(key);
    if (estimate.threshold === undefined) return true; // no trigger, and it did not change
    return estimate.counted + estimate.heard.size < estimate.threshold;
  }

  /** Resolves when no run is going, for tests and shutdown. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /** Resolves when no run is going (or after `maxWaitMs`); no new runs start after close. */
  async close(maxWaitMs = 5_000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)));
    await Promise.race([Promise.all(this.running.values()), cap]);
    clearTimeout(timer);
  }

  private async loop(room: string): Promise<void> {
    do {
      this.again.delete(room);
      await new Promise((resolve) => setTimeout(resolve, this.options.delayMs ?? 200));
      if (this.closed) return;
      await this.runOnce(room);
    } while (this.again.has(room) && !this.closed);
  }

  /**
   * One check of the room's trigger now (`room trigger run` sent to the daemon), from the caller's
   * known state when it has one; errors are the caller's. `handle`: who a synthesis is by.
   */
  async checkNow(name: string, handle?: string): Promise<TriggerRun> {
    const room = await Room.open(this.home, name, this.options.room);
    // No estimate while checking: a change heard meanwhile schedules one more full check.
    this.estimates.delete(name);
    const run = await runTriggerIfDue(room, { handle: handle ?? this.options.handle ?? 'mycelium', llm: this.options.llm?.(), known: this.known(name), counted: this.options.counted });
    if (this.options.seesEveryChange) {
      this.estimates.set(name, { threshold: run.trigger?.threshold, counted: run.synthesis ? 0 : run.pending, heard: new Set() });
    }
    if (run.synthesis) {
      const s = run.synthesis;
      this.options.log?.(`room '${name}': trigger threshold:${run.trigger?.threshold} reached, wrote ${s.key} (${s.memory_count} memories, ${s.method}${s.fallback ? ', LLM fell back' : ''})`);
    }
    return run;
  }

  /** How many input memories changed since the room's last synthesis, from the known state when there is one. */
  async pending(name: string): Promise<number> {
    return pendingChanges(await Room.open(this.home, name, this.options.room), this.known(name));
  }

  private known(name: string): ReadonlyMap<string, { mtimeMs: number }> | undefined {
    return this.options.seesEveryChange ? this.options.knownFiles?.(name) : undefined;
  }

  private async runOnce(name: string): Promise<TriggerRun | undefined> {
    try {
      return await this.checkNow(name);
    } catch (err) {
      const message = err instanceof MyceliumError ? err.message : `unexpected: ${(err as Error)?.message ?? String(err)}`;
      this.options.log?.(`room '${name}': trigger not run: ${message}`);
      return undefined;
    }
  }
}
