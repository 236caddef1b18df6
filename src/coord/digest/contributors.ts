import { listClaims } from '../claims/store.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SESSIONS_PREFIX } from '../negotiation/format.js';
import { MemoryNotFoundError } from '../../errors.js';
import type { Room } from '../../room.js';
import type { ContributedPart, DigestContributor } from './index.js';
import type { DigestLine } from './model.js';
import { quotedLine } from './render.js';

/**
 * The wings that add to a digest (plan and tasks, claims, negotiation). Each is a function of the
 * room's files; this list is the one place a new wing is plugged in.
 */

const minutes = (ms: number) => (ms >= 90 * 60_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.max(0, Math.round(ms / 60_000))} min`);

/** The plan's title: its first `# ` heading, when it has one. */
async function planTitle(room: Room, planKey: string): Promise<string | null> {
  try {
    const memory = await room.get(planKey);
    const text = typeof memory.value === 'string' ? memory.value : '';
    const heading = text.split('\n').find((l) => /^#\s+\S/.test(l));
    return heading ? heading.replace(/^#\s+/, '').trim() : null;
  } catch (err) {
    if (err instanceof MemoryNotFoundError) return null;
    throw err;
  }
}

/** My open tasks (with why a blocked one waits) and the first ready tasks nobody owns. */
async function planPart(room: Room, handle: string, now: Date): Promise<ContributedPart> {
  // Loaded here, not up front: a digest whose plan part is cached never parses the plan.
  const { readPlan, PLAN_KEY } = await import('../plan/store.js');
  const plan = await readPlan(room, { now: () => now });
  if (plan.tasks.length === 0) return { plan_title: await planTitle(room, PLAN_KEY) };
  const mine: DigestLine[] = plan.tasks
    .filter((t) => t.owner === handle && t.state === 'open')
    .map((t) => ({
      fingerprint: `t:${t.id}:${t.status}:${t.waiting.join(',')}`,
      text: `${t.id} ${quotedLine(t.text, 120)} (${t.status}${t.waiting.length > 0 ? `, waits for ${t.waiting.join(', ')}` : ''})`,
      command: t.status === 'blocked' ? undefined : `mycelium plan task done ${t.id}`,
    }));
  const ready: DigestLine[] = plan.tasks
    .filter((t) => t.status === 'ready' && t.owner === null)
    .map((t) => ({ fingerprint: `r:${t.id}`, text: `${t.id} ${quotedLine(t.text, 120)}`, command: `mycelium plan task claim ${t.id}` }));
  return { plan_title: await planTitle(room, PLAN_KEY), my_tasks: mine, ready };
}

/** Claims I hold (time left), and ones I lost: expired in the last day, or lost to another after a sync. */
async function claimsPart(room: Room, handle: string, now: Date): Promise<ContributedPart> {
  const { claims } = await listClaims(room, { holder: handle, all: true }, { now: () => now });
  const held: DigestLine[] = [];
  const lost: DigestLine[] = [];
  for (const c of claims) {
    const paths = quotedLine(c.paths.join(', '), 120);
    const left = Date.parse(c.expires_at) - now.getTime();
    const task = c.task ? `, task ${c.task}` : '';
    if (c.live && !c.clash) {
      held.push({
        fingerprint: `c:${c.id}:${c.epoch}`,
        text: `${c.id} ${paths}: ${minutes(left)} left${task}`,
        command: left < (c.ttl * 1000) / 4 ? `mycelium claim renew ${c.id}` : undefined,
      });
    } else if (c.clash) {
      lost.push({ fingerprint: `l:${c.id}:${c.epoch}`, text: `${c.id} ${paths}: lost to @${c.clash.holder} (claim ${c.clash.claim}) after a sync; do not edit these`, command: 'mycelium claims' });
    } else if (-left < 24 * 3_600_000) {
      lost.push({ fingerprint: `l:${c.id}:${c.epoch}`, text: `${c.id} ${paths}: expired ${minutes(-left)} ago${task}`, command: `mycelium claim ${c.paths.join(' ')}` });
    }
  }
  // The first of my live claims to expire changes the digest with no file written (it becomes lost).
  const expiries = claims.filter((c) => c.live && !c.clash).map((c) => c.expires_at).sort();
  return { claims: held, lost_claims: lost, ...(expiries[0] ? { changes_at: expiries[0] } : {}) };
}

/**
 * A negotiation waiting for me: a round whose standing offer I have not answered (with the exact
 * commands: respond, and propose when I am the round's proposer), or a session gathering
 * participants that I have not joined. Read only: the digest never steps the mediator.
 */
async function negotiationPart(room: Room, handle: string): Promise<ContributedPart> {
  // A room that never negotiated has no sessions/ folder: the session code (the mediator, its
  // schema, the plan port) is loaded only for one that did, keeping it off a hook's start.
  if (!existsSync(join(room.dir, SESSIONS_PREFIX))) return {};
  const { loadSession, openSessionId, sessionOf } = await import('../negotiation/store.js');
  const mine = await sessionOf(room, handle);
  if (mine !== undefined) {
    const files = await loadSession(room, mine);
    const s = files.session;
    if (s.state !== 'active' || !s.participants.includes(handle) || files.replies.some((r) => r.handle === handle)) return {};
    const offer = Object.entries(s.standing_offer ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
    const counter = s.proposer_id === handle ? ', or counter with `mycelium negotiate propose ISSUE=VALUE ...`' : '';
    return {
      negotiation: [{
        fingerprint: `n:${s.id}:${s.round}`,
        text: `session ${s.id}, round ${s.round} of ${s.n_steps_total}: the standing offer is ${quotedLine(offer, 200)} (from @${s.proposer_id ?? '?'})${counter}`,
        command: 'mycelium negotiate respond accept|reject',
      }],
    };
  }
  const open = await openSessionId(room);
  if (open === undefined) return {};
  const s = (await loadSession(room, open)).session;
  if (s.state !== 'joining' || (s.participants_wanted && !s.participants_wanted.includes(handle))) return {};
  return {
    negotiation: [{ fingerprint: `j:${s.id}`, text: `session ${s.id} is gathering participants (opened by @${s.created_by})`, command: 'mycelium session join -m "your position"' }],
  };
}

/**
 * What each part reads (stamp.ts), so the digest cache knows when to make it again. The plan's
 * statuses also move with the clock (a task stalls when its owner goes unseen for 30 minutes):
 * like `hook prompt`'s stamp, a cached plan part is trusted for at most STAMP_TRUST_MS.
 */
export const DIGEST_CONTRIBUTORS: DigestContributor[] = [
  { name: 'plan', reads: ['plan', 'agents'], contribute: planPart },
  { name: 'claims', reads: 'clocked', contribute: claimsPart },
  { name: 'negotiation', reads: ['sessions'], contribute: negotiationPart },
];
