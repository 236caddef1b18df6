/**
 * Telling the loser of a claim clash (issue 13). In a room shared only through git, two claims made
 * apart can overlap, and two homes can claim the same plan task; the clash is found after a sync by
 * a fixed rule (claims: earliest claimed_at, then handle; the plan merge: the same, noted under the
 * task). Whoever finds it — `claims`, the digest, a sync — sends the loser one message, so
 * `mycelium await` wakes it.
 *
 * Once per clash: a marker file in this home (`clash-notices/<room>/`) is checked first (one sync
 * stat, so a listing pays nothing once told); without one, the room's messages from the notifier to
 * the loser are searched for the same `ref` (a notice another home sent and a sync brought in), and
 * only then is a message sent. A home sends under a lock, so in one home a clash is told once; two
 * homes that find the same clash before either has synced may each tell it (at most once per home).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { contentHash } from '../content-hash.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { clashNoticesDir } from '../home-paths.js';
import { withLock } from '../lock.js';
import type { Room } from '../room.js';
import type { Claim } from './claims/store.js';
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

/**
 * After a sync brought in claims or plan changes: tells the loser of every claim clash
 * (listClaims does) and of every plan claim the merge noted as lost.
 */
export async function tellClashes(room: Room, now: () => Date = () => new Date()): Promise<Message[]> {
  const { listClaims } = await import('./claims/store.js'); // which tells claim losers itself
  await listClaims(room, { all: true }, { now });
  const plan = await room.readRaw(PLAN_KEY);
  return plan ? tellLosers(room, planLosses(plan.content), now) : [];
}

/** Sends each loss not told yet to its loser; returns the messages sent. */
export async function tellLosers(room: Room, losses: ClashLoss[], now: () => Date = () => new Date()): Promise<Message[]> {
  const dir = clashNoticesDir(room.home, room.name);
  const marker = (loss: ClashLoss) => join(dir, `${contentHash(`${loss.loser}\n${loss.ref}`).slice(0, 24)}.json`);
  const untold = losses.filter((loss) => loss.loser !== NOTICE_HANDLE && !existsSync(marker(loss)));
  if (untold.length === 0) return [];
  return withLock(room.home, `${room.name}/clash-notices`, async () => {
    await mkdir(dir, { recursive: true });
    const sent: Message[] = [];
    let told: Set<string> | undefined;
    for (const loss of untold) {
      if (existsSync(marker(loss))) continue; // told by another process while this one waited for the lock
      told ??= await toldInRoom(room);
      if (!told.has(`${loss.loser}\n${loss.ref}`)) {
        sent.push(await sendMessage(room, { from: NOTICE_HANDLE, to: [loss.loser], kind: 'block', ref: loss.ref, text: loss.text }, now));
      }
      await writeFileAtomic(marker(loss), `${JSON.stringify({ loser: loss.loser, ref: loss.ref, at: now().toISOString() })}\n`);
    }
    return sent;
  });
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
