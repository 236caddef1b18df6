/**
 * Telling the loser of a claim clash (issue 13). In a room shared only through git, two claims made
 * apart can overlap, and two homes can claim the same plan task; the clash is found after a sync by
 * a fixed rule (claims: earliest claimed_at, then handle; the plan merge: the same, noted under the
 * task). The loser gets one message, so `mycelium await` wakes it.
 *
 * Who tells: in a git room, the sync whose merge first brings both claims together (sync/git-sync.ts
 * writes the notice between its merge and its push, so the notice travels with the claims: every
 * home that receives the clash receives its notice in the same fetch; a push that loses a race drops
 * its unpushed notice and decides again after the next merge). For HTTP rooms the sync tells after
 * it (sync/share.ts). `claims` and the digest tell a clash no one has told yet (the fallback).
 *
 * Once per clash: a marker file in this home (`clash-notices/<room>/`) is checked first (one sync
 * stat, so a listing pays nothing once told); without one, the room's messages from the notifier to
 * the loser are searched for the same `ref` (a notice a sync brought in), and only then is a message
 * sent. A home sends under a lock, so in one home a clash is told once.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { contentHash } from '../content-hash.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { clashNoticesDir } from '../home-paths.js';
import { withLock } from '../lock.js';
import type { Room } from '../room.js';
import { CLAIMS_PREFIX, clashingClaims, type Claim } from './claims/store.js';
import type { Message } from './messages/format.js';
import { MessageIndex } from './messages/index-cache.js';
import { readMessage, sendMessage } from './messages/store.js';
import { claimLossesIn } from './plan/merge.js';
import { PLAN_KEY } from './plan/store.js';

/** Who sends clash notices: the tool, not either agent (neither wrote it). */
export const NOTICE_HANDLE = 'mycelium';

export interface ClashLoss {
  /** The handle that lost. */
  loser: string;
  /** What was lost, as the message's `ref`: the loser's claim key, or the task in the plan. */
  ref: string;
  text: string;
}

/** The losses of claims marked as clashing (listClaims marks them). */
export function claimLosses(claims: Claim[]): ClashLoss[] {
  return claims
    .filter((c) => c.clash !== null)
    .map((c) => ({
      loser: c.holder,
      ref: `claims/${c.id}`,
      text:
        `Your claim ${c.id} on ${c.paths.join(', ')} lost a clash found after a sync: ${c.clash!.holder}'s claim ${c.clash!.claim} ` +
        `on the same files is earlier. Stop editing them, ask ${c.clash!.holder}, and release yours with \`mycelium release ${c.id}\`.`,
    }));
}

/** The claim losses the plan merge noted in plan/tasks.md's text. */
export function planLosses(planText: string): ClashLoss[] {
  return claimLossesIn(planText).map(({ loser, id, owner }) => ({
    loser,
    ref: `plan/tasks#${id}@${loser}`,
    text: `Your claim of task ${id} lost to ${owner}'s earlier claim when the plan was merged after a sync: ${owner} owns it now. See \`mycelium plan show\`; take another with \`mycelium plan ready --claim\`.`,
  }));
}

/** Whether a change to this key can bring a clash to light (a claim, or the plan). */
export function mayBringClash(key: string): boolean {
  return key.startsWith(CLAIMS_PREFIX) || key.startsWith('plan/');
}

/** Every clash loss in the room as its files are now: claims that lost by the fixed rule, and plan claims the merge noted. */
export async function clashLosses(room: Room, now: () => Date = () => new Date()): Promise<ClashLoss[]> {
  const { claims } = await clashingClaims(room, { now });
  const plan = await room.readRaw(PLAN_KEY);
  return [...claimLosses(claims), ...(plan ? planLosses(plan.content) : [])];
}

/** After a sync brought in claims or plan changes: tells the loser of every clash not told yet; returns the messages sent. */
export async function tellClashes(room: Room, now: () => Date = () => new Date(), options: TellOptions = {}): Promise<Message[]> {
  return tellLosers(room, await clashLosses(room, now), now, options);
}

export interface TellOptions {
  /**
   * Leave the losses this call sends unmarked in this home (a git sync marks them with markTold only
   * once its push carried them: a notice it drops after losing a push race was never told).
   */
  deferMarks?: boolean;
}

/** Sends each loss not told yet to its loser; returns the messages sent. */
export async function tellLosers(room: Room, losses: ClashLoss[], now: () => Date = () => new Date(), options: TellOptions = {}): Promise<Message[]> {
  const untold = losses.filter((loss) => loss.loser !== NOTICE_HANDLE && !existsSync(markerPath(room, loss)));
  if (untold.length === 0) return [];
  return withLock(room.home, `${room.name}/clash-notices`, async () => {
    const sent: Message[] = [];
    let told: Set<string> | undefined;
    for (const loss of untold) {
      if (existsSync(markerPath(room, loss))) continue; // told by another process while this one waited for the lock
      told ??= await toldInRoom(room);
      if (!told.has(`${loss.loser}\n${loss.ref}`)) {
        sent.push(await sendMessage(room, { from: NOTICE_HANDLE, to: [loss.loser], kind: 'block', ref: loss.ref, text: loss.text }, now));
        if (options.deferMarks) continue;
      }
      await writeMarker(room, loss, now);
    }
    return sent;
  });
}

/** Marks notices as told in this home (see TellOptions.deferMarks). */
export async function markTold(room: Room, messages: Message[], now: () => Date = () => new Date()): Promise<void> {
  for (const m of messages) if (m.ref) for (const loser of m.to) await writeMarker(room, { loser, ref: m.ref }, now);
}

function markerPath(room: Room, loss: Pick<ClashLoss, 'loser' | 'ref'>): string {
  return join(clashNoticesDir(room.home, room.name), `${contentHash(`${loss.loser}\n${loss.ref}`).slice(0, 24)}.json`);
}

async function writeMarker(room: Room, loss: Pick<ClashLoss, 'loser' | 'ref'>, now: () => Date): Promise<void> {
  await mkdir(clashNoticesDir(room.home, room.name), { recursive: true });
  await writeFileAtomic(markerPath(room, loss), `${JSON.stringify({ loser: loss.loser, ref: loss.ref, at: now().toISOString() })}\n`);
}

/** `loser\nref` of every clash notice already in the room (sent here or synced in from another home). */
async function toldInRoom(room: Room): Promise<Set<string>> {
  const told = new Set<string>();
  const index = await MessageIndex.open(room);
  for (const day of index.days) {
    if (!index.irregular && !index.summary(day)?.senders.includes(NOTICE_HANDLE)) continue;
    for (const row of await index.rows(day)) {
      if (row.from !== NOTICE_HANDLE) continue;
      const message = await readMessage(room, row.id).catch(() => undefined);
      if (message?.ref) for (const to of message.to) told.add(`${to}\n${message.ref}`);
    }
  }
  return told;
}
