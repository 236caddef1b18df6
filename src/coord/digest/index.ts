import { InvalidInputError } from '../../errors.js';
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import { readDigestCursor, writeDigestCursor } from './cursor.js';
import { type DigestData, fingerprints, isEmpty, onlyNew } from './model.js';
import { DEFAULT_DIGEST_CHARS, MAX_DIGEST_CHARS, renderDigest } from './render.js';
import { recentDecisions, unreadMentions } from './sources.js';
import { DigestCache } from './cache.js';
import { STAMP_PARTS, type StampPart, fileStamp, joinStamp, roomStampParts } from './stamp.js';
import { cursorPath } from '../../home-paths.js';

export type { DigestData } from './model.js';
export { DEFAULT_DIGEST_CHARS, MAX_DIGEST_CHARS } from './render.js';

/**
 * What another wing of coordination (plan, claims, negotiation) adds to a handle's digest. The
 * digest asks each contributor and renders what it returns; a contributor that fails is skipped
 * with a warning, so one broken file never hides the rest.
 */
export interface DigestContributor {
  /** The part's name in the digest cache (cache.ts). */
  name: string;
  /**
   * The room's sources the part is a function of (stamp.ts): while their stamp stands, the part of
   * the last digest is used again. `clocked`: the part moves with the clock (a claim's time left),
   * so it is made for every digest.
   */
  reads: readonly StampPart[] | 'clocked';
  contribute: (room: Room, handle: string, now: Date) => Promise<ContributedPart>;
}

/** A contributor's sections, and `changes_at`: when its part changes with no file written (a claim of mine expiring). */
export type ContributedPart = Partial<Pick<DigestData, 'plan_title' | 'claims' | 'lost_claims' | 'my_tasks' | 'ready' | 'negotiation'>> & { changes_at?: string };

export interface DigestOptions {
  maxChars?: number;
  /** Only what changed since this handle's last digest; `text` is empty when nothing did. */
  sinceCursor?: boolean;
  contributors?: DigestContributor[];
  now?: Date;
  /** Look without recording: the handle's digest cursor is not moved (a person viewing an agent's digest). */
  peek?: boolean;
}

export interface Digest {
  data: DigestData;
  /** The rendered digest; '' when `sinceCursor` found nothing new. */
  text: string;
  warnings: string[];
}

export function checkDigestChars(value: number | undefined): number {
  if (value === undefined) return DEFAULT_DIGEST_CHARS;
  if (!Number.isInteger(value) || value < 200 || value > MAX_DIGEST_CHARS) {
    throw new InvalidInputError(`--max-chars takes a whole number from 200 to ${MAX_DIGEST_CHARS} (what Claude Code passes to the model whole), got ${value}`);
  }
  return value;
}

/** Builds a handle's digest and records what it showed (the cursor `--since-cursor` compares with). */
export async function buildDigest(room: Room, handleInput: string, options: DigestOptions = {}): Promise<Digest> {
  const handle = validateHandle(handleInput);
  const maxChars = checkDigestChars(options.maxChars);
  const now = options.now ?? new Date();
  const warnings: string[] = [];
  // Taken before any source is read, so a write during this digest makes the next stamp differ.
  const stamps = roomStampParts(room.dir);
  const stamp = joinStamp(stamps, STAMP_PARTS);
  let changesAt: string | undefined;
  const cursor = await readDigestCursor(room, handle);
  const delta = options.sinceCursor === true && cursor !== undefined;
  const cache = await DigestCache.open(room.home, room.name, handle);
  // A delta reads only the messages after the last digest's; a full digest's unread messages are
  // a function of the messages and of the handle's inbox cursor (moved by `inbox`).
  const mentions = delta
    ? await unreadMentions(room, handle, warnings, cursor.messages_to)
    : await cache.part('mentions', `${stamps.messages}|${fileStamp(cursorPath(room.home, room.name, handle))}`, now, warnings, (said) => unreadMentions(room, handle, said));
  const decisions = (await recentDecisions(room, warnings)).filter((d) => (cursor ? (d.updated_at ?? '') > cursor.at : true));
  let data: DigestData = {
    room: room.name,
    handle,
    as_of: now.toISOString(),
    plan_title: null,
    mentions: { unread: mentions.unread, items: mentions.items, scan_limited: mentions.scanLimited },
    claims: [],
    lost_claims: [],
    my_tasks: [],
    ready: [],
    negotiation: [],
    decisions: cursor ? decisions : decisions.slice(0, 5),
  };
  for (const contributor of options.contributors ?? []) {
    try {
      const make = () => contributor.contribute(room, handle, now);
      const { changes_at, ...part } = contributor.reads === 'clocked'
        ? await make()
        : await cache.part(contributor.name, joinStamp(stamps, contributor.reads), now, [], make, (p) => p.changes_at);
      if (changes_at !== undefined && (changesAt === undefined || changes_at < changesAt)) changesAt = changes_at;
      data = { ...data, ...part };
    } catch (err) {
      warnings.push(`warning: part of the digest was skipped: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const all = fingerprints(data);
  if (delta) {
    // Messages up to `messages_to` were not read again: the last digest showed them (a message synced
    // in later with an older time stamp than that waits for the next full digest or `inbox`).
    data = onlyNew(data, new Set(cursor.seen));
  }
  const nothing = options.sinceCursor === true && isEmpty(data);
  const text = nothing ? '' : renderDigest(data, { maxChars, delta });
  await cache.save();
  // A part taken from the cache was made earlier: the stamp stands only as long as that part is trusted.
  if (cache.trustedUntil !== undefined && (changesAt === undefined || cache.trustedUntil < changesAt)) changesAt = cache.trustedUntil;
  if (!options.peek) await writeDigestCursor(room, handle, { at: now.toISOString(), seen: all, messages_to: mentions.newest, stamp, changes_at: changesAt ?? null });
  return { data, text, warnings };
}
