import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../fs-atomic.js';
import { digestCachePath } from '../../home-paths.js';
import { STAMP_TRUST_MS, stampStands } from './stamp.js';

/**
 * The parts of a handle's last digest (its unread messages, and each contributor's part that is not
 * a function of the clock), each kept with the stamp of the sources it was made from (stamp.ts) in
 * `$MYCELIUM_HOME/cache/digest/<room>/<handle>.json`. The next digest takes a part from here when
 * that stamp still stands by the rule `hook prompt` answers "nothing new" by (same stamp, younger
 * than STAMP_TRUST_MS, not past its `changes_at`), and makes again only the parts whose sources were
 * written since: a session start right after a prompt does not read 10,000 message rows and a
 * 1,000-task plan again. A cache: deleting it, or failing to write it, costs only speed.
 */

const VERSION = 1;

interface CachedPart {
  stamp: string;
  /** When the part was made. */
  at: string;
  changes_at: string | null;
  value: unknown;
  warnings: string[];
}

export class DigestCache {
  private changed = false;
  /** The soonest a part taken from here stops being trusted: a digest made of it stands no longer. */
  trustedUntil: string | undefined;

  private constructor(
    private readonly path: string,
    private readonly parts: Record<string, CachedPart>,
  ) {}

  static async open(home: string, room: string, handle: string): Promise<DigestCache> {
    const path = digestCachePath(home, room, handle);
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as { version?: unknown; parts?: unknown };
      if (parsed.version === VERSION && parsed.parts !== null && typeof parsed.parts === 'object') return new DigestCache(path, parsed.parts as Record<string, CachedPart>);
    } catch {
      // missing or damaged: every part is made again
    }
    return new DigestCache(path, {});
  }

  /**
   * The part `name` made under `stamp`: from the cache when it stands at `now`, else made by `make`
   * (and kept). Warnings the making gave are given again when the part is taken from the cache.
   */
  async part<T>(name: string, stamp: string, now: Date, warnings: string[], make: (warnings: string[]) => Promise<T>, changesAt?: (value: T) => string | undefined): Promise<T> {
    const kept = this.parts[name];
    if (kept && isPart(kept) && stampStands(kept, stamp, now.getTime())) {
      warnings.push(...kept.warnings);
      const until = new Date(Date.parse(kept.at) + STAMP_TRUST_MS).toISOString();
      this.trustedUntil = [this.trustedUntil, kept.changes_at, until].filter((t): t is string => typeof t === 'string').sort()[0];
      return kept.value as T;
    }
    const said: string[] = [];
    const value = await make(said);
    warnings.push(...said);
    this.parts[name] = { stamp, at: now.toISOString(), changes_at: changesAt?.(value) ?? null, value, warnings: said };
    this.changed = true;
    return value;
  }

  /** Writes what changed (no fsync: a cache); a failure only costs the next digest its speed. */
  async save(): Promise<void> {
    if (!this.changed) return;
    await writeFileAtomic(this.path, JSON.stringify({ version: VERSION, parts: this.parts }), { durable: false }).catch(() => {});
    this.changed = false;
  }
}

function isPart(value: CachedPart): boolean {
  return typeof value.stamp === 'string' && typeof value.at === 'string' && Array.isArray(value.warnings) && (value.changes_at === null || typeof value.changes_at === 'string');
}
