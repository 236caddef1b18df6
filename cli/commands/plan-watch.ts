import { diffPlans } from '../../src/coord/plan/changes.js';
import { PLAN_KEY, readPlan, type Task } from '../../src/coord/plan/store.js';
import { CLAIMS_PREFIX, getClaim, listClaims, type Claim } from '../../src/coord/claims/store.js';
import { promptSafe } from '../../src/coord/prompt-safe.js';
import type { ChangeEvent } from '../../src/events/change-event.js';
import type { Room } from '../../src/room.js';

/**
 * `mycelium watch` lines for the plan and claims (issue 13): a plan write becomes "t-7k2f claimed by
 * @bob", a claim file "c-… granted to @bob: src/db". The watcher keeps the last reading of each
 * room's plan and claims to say what a write changed; a room is read once when first seen.
 */
export interface CoordWatch {
  /** Reads a room's plan and claims now, so its first change can be told task by task. */
  prime(room: Room): Promise<void>;
  /** The watch item for a plan or claim change; undefined for any other event (or a room just primed). */
  describe(event: ChangeEvent, open: (name: string) => Promise<Room>): Promise<Record<string, unknown> | undefined>;
}

export function coordWatch(): CoordWatch {
  const plans = new Map<string, Task[]>();
  const claims = new Map<string, Map<string, Claim>>();
  const prime = async (room: Room) => {
    plans.set(room.name, (await readPlan(room)).tasks);
    claims.set(room.name, new Map((await listClaims(room, { all: true })).claims.map((c) => [c.id, c])));
  };
  return {
    prime,
    async describe(event, open) {
      const isPlan = event.key === PLAN_KEY;
      const isClaim = event.key.startsWith(CLAIMS_PREFIX) && event.type !== 'renamed';
      if (!isPlan && !isClaim) return undefined;
      const room = await open(event.room);
      if (!plans.has(room.name)) {
        await prime(room);
        return undefined; // nothing to compare with yet: shown as a memory change
      }
      const base = { room: event.room, by: event.by, at: event.at };
      if (isPlan) {
        const after = event.type === 'deleted' ? [] : (await readPlan(room)).tasks;
        const changes = diffPlans(plans.get(room.name)!, after).map((c) => ({ ...c, text: promptSafe(c.text) }));
        plans.set(room.name, after);
        return { type: 'plan', ...base, changes };
      }
      const known = claims.get(room.name)!;
      const id = event.key.slice(CLAIMS_PREFIX.length);
      const before = known.get(id);
      if (event.type === 'deleted') {
        known.delete(id);
        return { type: 'claim', ...base, change: 'released', id, holder: before?.holder ?? null, paths: before?.paths ?? [], epoch: before?.epoch ?? null };
      }
      const claim = await getClaim(room, id);
      known.set(id, claim);
      const change = !before ? 'granted' : before.holder !== claim.holder ? 'handed_off' : 'renewed';
      return { type: 'claim', ...base, change, id, holder: claim.holder, paths: claim.paths, epoch: claim.epoch, from: change === 'handed_off' ? before!.holder : undefined };
    },
  };
}

const VERB: Record<string, string> = {
  added: 'added',
  claimed: 'claimed by',
  unclaimed: 'unclaimed',
  done: 'done by',
  dropped: 'dropped by',
  reopened: 'reopened',
  edited: 'edited',
  removed: 'removed',
};

/** The readable line(s) of a plan or claim item; undefined for any other item. */
export function renderCoord(item: Record<string, unknown>, prefix: string, color: (code: string, text: string) => string): string | undefined {
  if (item.type === 'plan') {
    const changes = item.changes as { change: string; id: string; text: string; owner: string | null; by: string | null }[];
    if (changes.length === 0) return `${prefix}${color('2', `plan updated${item.by ? ` by ${item.by}` : ''}`)}`;
    return changes
      .map((c) => {
        const who = c.change === 'claimed' ? ` @${c.owner}` : (c.change === 'done' || c.change === 'dropped') && c.by ? ` @${c.by}` : '';
        return `${prefix}${color('35', `[plan] ${c.id} ${VERB[c.change]}${who}`)}  ${c.text.slice(0, 160)}`;
      })
      .join('\n');
  }
  if (item.type === 'claim') {
    const paths = promptSafe((item.paths as string[]).join(', '));
    const text =
      item.change === 'granted' ? `${item.id} granted to @${item.holder}: ${paths}` :
      item.change === 'renewed' ? `${item.id} of @${item.holder} renewed (epoch ${item.epoch})` :
      item.change === 'handed_off' ? `${item.id} handed off from @${item.from} to @${item.holder}: ${paths}` :
      `${item.id}${item.holder ? ` of @${item.holder}` : ''} released${paths ? `: ${paths}` : ''}`;
    return `${prefix}${color('35', `[claim] ${text}`)}`;
  }
  return undefined;
}
