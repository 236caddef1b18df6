/**
 * File-scope claims (issue 13): leases that keep agents off each other's files, one file per claim:
 *
 *   claims/<id>.md   frontmatter holder, paths, worktree, task, claimed_at, ttl (s), epoch, checkpoint
 *
 * Expiry is computed at read time (claimed_at + ttl), never written. Grants, renewals, releases and
 * handoffs run under one room-wide claims lock, so in one home a grant is atomic. Every grant and
 * renewal takes a new epoch from a per-room counter that only grows; a release, renew or handoff
 * naming an older epoch is refused. The library calls: grantClaim, releaseClaim, releaseAll,
 * renewClaim, handoffClaim, listClaims, checkScope.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClaimConflictError, ClaimNotFoundError, ClaimNotStaleError, ClaimNotYoursError, InvalidInputError, MemoryNotFoundError, StaleEpochError } from '../../errors.js';
import { parseMemoryFile, readHeader } from '../../codec.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { readRegularFileSync, regularFilesIn } from '../../fs-confined.js';
import { withLock } from '../../lock.js';
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import { TASK_ID } from '../plan/format.js';
import { hasStalled } from '../plan/stall.js';
import { normalizeClaimPaths, parseTtl, scopeOverlap } from './scope.js';
import { claimEpochPath, claimEpochsDir } from '../../home-paths.js';
import { byCodeUnit } from '../../text-order.js';
import { nodeCrypto } from '../../content-hash.js';

export const CLAIMS_PREFIX = 'claims/';
const CLAIM_ID = /^c-[0-9a-z]{6,12}$/;
/** Longest checkpoint text, in characters. */
export const MAX_CHECKPOINT = 4000;

export interface Claim {
  id: string;
  holder: string;
  paths: string[];
  worktree: string | null;
  task: string | null;
  claimed_at: string;
  /** Seconds. */
  ttl: number;
  epoch: number;
  checkpoint: string | null;
  /** claimed_at + ttl (computed, never written). */
  expires_at: string;
  live: boolean;
  /** For rooms shared only through git: the live claim this one lost to by the fixed rule (earliest claimed_at, then handle). */
  clash: { claim: string; holder: string } | null;
}

export interface ClaimOptions {
  now?: () => Date;
}

export interface GrantInput {
  holder: string;
  paths: string[];
  ttl?: string | number;
  worktree?: string;
  task?: string;
  checkpoint?: string;
}

export interface GrantResult {
  claim: Claim;
  /** Widened paths, clamped TTLs. */
  warnings: string[];
  /** The checkpoint passed on from an expired claim on the same task, if any. */
  inherited_checkpoint: string | null;
}

/** Grants a claim unless its scope overlaps a live claim held by someone else (ClaimConflictError naming it). */
export async function grantClaim(room: Room, input: GrantInput, options: ClaimOptions = {}): Promise<GrantResult> {
  const holder = validateHandle(input.holder);
  const warnings: string[] = [];
  const paths = normalizeClaimPaths(input.paths, warnings);
  const ttl = parseTtl(input.ttl, warnings);
  const worktree = optionalText(input.worktree, 'worktree', 200);
  const task = input.task ? validateTaskRef(input.task) : null;
  const given = optionalText(input.checkpoint, 'checkpoint', MAX_CHECKPOINT);
  return withClaimsLock(room, async () => {
    const now = clock(options);
    const { claims } = await readClaims(room, now);
    assertFree(claims, { holder, paths, worktree }, [holder]);
    let inherited: string | null = null;
    if (task) {
      const expired = claims.filter((c) => c.task === task && !c.live).sort((a, b) => b.epoch - a.epoch);
      inherited = expired.find((c) => c.checkpoint)?.checkpoint ?? null;
      for (const old of expired) await room.remove(claimKey(old.id), holder).catch(() => undefined);
    }
    const claim = finish({
      id: newClaimId(), holder, paths, worktree, task, claimed_at: now.toISOString(), ttl,
      epoch: await nextEpoch(room, claims), checkpoint: given ?? inherited,
    }, now);
    await writeClaim(room, claim, holder);
    return { claim, warnings, inherited_checkpoint: given === null ? inherited : null };
  });
}

/** Releases one of my claims (epoch, when given, must be current). */
export async function releaseClaim(room: Room, holderInput: string, id: string, epoch?: number, options: ClaimOptions = {}): Promise<Claim> {
  const holder = validateHandle(holderInput);
  return withClaimsLock(room, async () => {
    const claim = await mine(room, holder, id, epoch, clock(options));
    await room.remove(claimKey(claim.id), holder);
    return claim;
  });
}

/**
 * Whether a claim is stale at `now`: expired, or its holder (agent card `last_seen`; no card: never
 * seen) has stalled by the plan's rule (`hasStalled`, issue 13's stall window, `stallMs` or its
 * default): one rule for "gone quiet", so a stalled task and a stale claim never disagree.
 */
export function isStaleClaim(claim: Claim, holderLastSeen: string | null | undefined, now: Date, stallMs?: number): boolean {
  if (!claim.live) return true;
  const seen = holderLastSeen ? Date.parse(holderLastSeen) : NaN;
  return hasStalled(seen, now.getTime(), stallMs);
}

/**
 * Releases someone else's claim once it is stale (a person stepping in for an agent that went away,
 * issue 16): refused with ClaimNotStaleError while the claim is live and its holder was seen lately.
 * The file is removed as `by`, so the event and git history say who released it.
 */
export async function releaseStaleClaim(room: Room, byInput: string, id: string, options: ClaimOptions & { stallMs?: number } = {}): Promise<Claim> {
  const by = validateHandle(byInput);
  return withClaimsLock(room, async () => {
    const now = clock(options);
    const claim = await readClaim(room, id, now);
    const { readAgent } = await import('../agents.js'); // only this verb reads agent cards: `claim` does not load them
    const card = await readAgent(room, claim.holder).catch(() => undefined);
    if (claim.holder !== by && !isStaleClaim(claim, card?.last_seen, now, options.stallMs)) {
      throw new ClaimNotStaleError(
        `claim ${claim.id} is live until ${claim.expires_at} and @${claim.holder} was seen at ${card?.last_seen ?? '?'}; ask @${claim.holder} to release it, or wait until it is stale`,
      );
    }
    await room.remove(claimKey(claim.id), by);
    return claim;
  });
}

/** Releases every claim I hold (live or expired). */
export async function releaseAll(room: Room, holderInput: string, options: ClaimOptions = {}): Promise<Claim[]> {
  const holder = validateHandle(holderInput);
  return withClaimsLock(room, async () => {
    const { claims } = await readClaims(room, clock(options));
    const released = claims.filter((c) => c.holder === holder);
    for (const claim of released) await room.remove(claimKey(claim.id), holder);
    return released;
  });
}

/**
 * Renews a claim: a new claimed_at and epoch, rewritten only once half the TTL has passed (else it is
 * returned unchanged with renewed false) or when a new checkpoint or TTL is given. An expired claim
 * is renewed only if no one else has claimed its scope meanwhile.
 */
export async function renewClaim(
  room: Room,
  holderInput: string,
  id: string,
  input: { epoch?: number; ttl?: string | number; checkpoint?: string } = {},
  options: ClaimOptions = {},
): Promise<{ claim: Claim; renewed: boolean; warnings: string[] }> {
  const holder = validateHandle(holderInput);
  const warnings: string[] = [];
  const ttl = input.ttl === undefined ? undefined : parseTtl(input.ttl, warnings);
  const checkpoint = optionalText(input.checkpoint, 'checkpoint', MAX_CHECKPOINT);
  return withClaimsLock(room, async () => {
    const now = clock(options);
    const claim = await mine(room, holder, id, input.epoch, now);
    const elapsed = now.getTime() - Date.parse(claim.claimed_at);
    if (claim.live && elapsed < (claim.ttl * 1000) / 2 && ttl === undefined && checkpoint === null) return { claim, renewed: false, warnings };
    const { claims } = await readClaims(room, now);
    if (!claim.live) assertFree(claims, claim, [holder]);
    const renewed = finish({ ...claim, claimed_at: now.toISOString(), ttl: ttl ?? claim.ttl, checkpoint: checkpoint ?? claim.checkpoint, epoch: await nextEpoch(room, claims) }, now);
    await writeClaim(room, renewed, holder);
    return { claim: renewed, renewed: true, warnings };
  });
}

/** Hands one of my claims to another handle in one step, re-checking its scope against third parties. */
export async function handoffClaim(room: Room, holderInput: string, id: string, toInput: string, epoch?: number, options: ClaimOptions = {}): Promise<Claim> {
  const holder = validateHandle(holderInput);
  const to = validateHandle(toInput);
  return withClaimsLock(room, async () => {
    const now = clock(options);
    const claim = await mine(room, holder, id, epoch, now);
    const { claims } = await readClaims(room, now);
    assertFree(claims.filter((c) => c.id !== claim.id), { ...claim, holder: to }, [holder, to]);
    const next = finish({ ...claim, holder: to, claimed_at: now.toISOString(), epoch: await nextEpoch(room, claims) }, now);
    await writeClaim(room, next, holder);
    return next;
  });
}

/**
 * The room's claims (live ones unless `all`), with clashes marked, and each clash's loser told by a
 * message (once); files that are not claims are skipped with a warning.
 */
export async function listClaims(room: Room, query: { holder?: string; all?: boolean } = {}, options: ClaimOptions = {}): Promise<{ claims: Claim[]; warnings: string[] }> {
  const { claims, warnings } = await clashingClaims(room, options);
  // Whoever finds a clash tells its loser, once (coord/clash-notices.ts; loaded only when there is one).
  if (claims.some((c) => c.clash)) {
    const notices = await import('../clash-notices.js');
    await notices.tellLosers(room, notices.claimLosses(claims), options.now).catch((err: Error) => {
      warnings.push(`warning: could not tell the loser of a claim clash (${err.message}); it still shows in \`mycelium claims\``);
    });
  }
  const holder = query.holder ? validateHandle(query.holder) : undefined;
  return { claims: claims.filter((c) => (query.all || c.live) && (!holder || c.holder === holder)), warnings };
}

/** Every claim in the room (live or not), each live one that lost a clash marked; tells no one. */
export async function clashingClaims(room: Room, options: ClaimOptions = {}): Promise<{ claims: Claim[]; warnings: string[] }> {
  const read = await readClaims(room, clock(options));
  markClashes(read.claims);
  return read;
}

/** Live claims held by others that these paths touch (for `claims check` and pre-commit hooks). */
export async function checkScope(
  room: Room,
  holderInput: string,
  input: { paths: string[]; worktree?: string },
  options: ClaimOptions = {},
): Promise<{ conflicts: { claim: Claim; path: string }[]; warnings: string[] }> {
  const holder = validateHandle(holderInput);
  const { claims, warnings } = await readClaims(room, clock(options));
  const worktree = input.worktree ?? null;
  const conflicts: { claim: Claim; path: string }[] = [];
  for (const path of input.paths) {
    const [normal] = normalizeClaimPaths([path], []);
    const hit = conflicting(claims, { holder, paths: [normal], worktree }, [holder]);
    if (hit) conflicts.push({ claim: hit, path });
  }
  return { conflicts, warnings };
}

/** One claim by id, as `claims` shows it (ClaimNotFoundError when there is no such claim). */
export async function getClaim(room: Room, id: string, options: ClaimOptions = {}): Promise<Claim> {
  return readClaim(room, id, clock(options));
}

// ---------------------------------------------------------------------------------------------

/** The first live claim held by someone not in `exempt` whose scope overlaps (same worktree). */
export function conflicting(claims: Claim[], scope: { paths: string[]; worktree: string | null; holder?: string }, exempt: string[]): Claim | undefined {
  for (const c of claims) {
    if (!c.live || exempt.includes(c.holder) || (c.worktree ?? null) !== (scope.worktree ?? null)) continue;
    if (scopeOverlap(c.paths, scope.paths)) return c;
  }
  return undefined;
}

function assertFree(claims: Claim[], scope: { paths: string[]; worktree: string | null; holder?: string }, exempt: string[]): void {
  const held = conflicting(claims, scope, exempt);
  if (!held) return;
  const overlap = scopeOverlap(held.paths, scope.paths)!;
  throw new ClaimConflictError(
    `'${overlap[1]}' overlaps claim ${held.id} held by @${held.holder} on '${overlap[0]}' until ${held.expires_at}; wait for it, ask @${held.holder}, or claim other paths`,
  );
}

/** Marks each live claim that lost a clash (overlap with another holder, found after a git sync). */
function markClashes(claims: Claim[]): void {
  const live = claims.filter((c) => c.live).sort((a, b) => byCodeUnit(a.claimed_at, b.claimed_at) || byCodeUnit(a.holder, b.holder) || byCodeUnit(a.id, b.id));
  for (let i = 0; i < live.length; i++) {
    const winner = conflicting(live.slice(0, i), live[i], [live[i].holder]);
    if (winner) live[i].clash = { claim: winner.id, holder: winner.holder };
  }
}

async function mine(room: Room, holder: string, id: string, epoch: number | undefined, now: Date): Promise<Claim> {
  const claim = await readClaim(room, id, now);
  if (claim.holder !== holder) {
    throw new ClaimNotYoursError(`claim ${claim.id} is held by @${claim.holder}, not @${holder}; ask @${claim.holder} to release or hand it off`);
  }
  if (epoch !== undefined && epoch !== claim.epoch) {
    throw new StaleEpochError(`claim ${claim.id} is at epoch ${claim.epoch}, not ${epoch} (it was renewed or handed off since); read it again with \`mycelium claims --mine\``);
  }
  return claim;
}

async function readClaim(room: Room, idInput: string, now: Date): Promise<Claim> {
  const id = String(idInput ?? '').trim().toLowerCase();
  if (!CLAIM_ID.test(id)) throw new InvalidInputError(`'${idInput}' is not a claim id (ids look like c-1a2b3c); list them with \`mycelium claims\``);
  try {
    const memory = await room.get(claimKey(id));
    const claim = toClaim(id, memory.extra, now);
    if (claim) return claim;
  } catch (err) {
    if (!(err instanceof MemoryNotFoundError)) throw err;
  }
  throw new ClaimNotFoundError(`no claim ${id} in room '${room.name}' (released, or never made); list them with \`mycelium claims --all\``);
}

async function readClaims(room: Room, now: Date): Promise<{ claims: Claim[]; warnings: string[] }> {
  const warnings: string[] = [];
  const dir = join(room.dir, CLAIMS_PREFIX);
  const claims: Claim[] = [];
  // Which files are claims: regular files in claims/ (never a link) named by the claim id rule, which
  // admits only valid key segments (no hidden or scratch names), so this is the room's memory-file
  // rule for that folder without walking the room. One small file per claim, read synchronously: a
  // grant against 100 claims paid for 100 promise round trips (lstat, open, fstat, read, close) each.
  for (const name of regularFilesIn(dir)) {
    if (!name.endsWith('.md') || !CLAIM_ID.test(name.slice(0, -3))) continue;
    const id = name.slice(0, -3);
    const text = readRegularFileSync(join(dir, name));
    if (text === undefined) continue; // removed between the listing and the read
    const claim = toClaim(id, readHeader(parseMemoryFile(text).meta).extra, now);
    if (claim) claims.push(claim);
    else warnings.push(`warning: ${room.pathOf(claimKey(id))}: not a readable claim (holder, paths, claimed_at, ttl, epoch); ignored — fix or delete it`);
  }
  claims.sort((a, b) => byCodeUnit(a.id, b.id));
  return { claims, warnings };
}

/** A claim as read from its file's extra fields, or undefined when the file is not one (edited by hand into nonsense). */
function toClaim(id: string, x: Record<string, unknown>, now: Date): Claim | undefined {
  if (typeof x.holder !== 'string' || !Array.isArray(x.paths) || typeof x.claimed_at !== 'string') return undefined;
  const at = Date.parse(x.claimed_at);
  const ttl = Number(x.ttl);
  const epoch = Number(x.epoch);
  if (!Number.isFinite(at) || !Number.isFinite(ttl) || ttl <= 0 || !Number.isInteger(epoch)) return undefined;
  let holder: string;
  try {
    holder = validateHandle(x.holder);
  } catch {
    return undefined;
  }
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return finish({
    id, holder, paths: normalizeClaimPaths(x.paths.map(String)), worktree: str(x.worktree), task: str(x.task),
    claimed_at: new Date(at).toISOString(), ttl, epoch, checkpoint: str(x.checkpoint),
  }, now);
}

function finish(c: Omit<Claim, 'expires_at' | 'live' | 'clash'>, now: Date): Claim {
  const expires = Date.parse(c.claimed_at) + c.ttl * 1000;
  return { ...c, expires_at: new Date(expires).toISOString(), live: now.getTime() < expires, clash: null };
}

async function writeClaim(room: Room, claim: Claim, by: string): Promise<void> {
  const body = `@${claim.holder} holds ${claim.paths.join(', ')}${claim.worktree ? ` in worktree ${claim.worktree}` : ''}${claim.task ? ` for ${claim.task}` : ''}.\n`;
  await room.set(claimKey(claim.id), body, {
    handle: by,
    format: 'text',
    fields: { holder: claim.holder, paths: claim.paths, worktree: claim.worktree ?? undefined, task: claim.task ?? undefined, claimed_at: claim.claimed_at, ttl: claim.ttl, epoch: claim.epoch, checkpoint: claim.checkpoint ?? undefined },
  });
}

/**
 * The next epoch: one more than both the home's counter for the room and every epoch in the claim
 * files (so a counter lost, or claims synced in from elsewhere, never make it go back).
 */
async function nextEpoch(room: Room, claims: Claim[]): Promise<number> {
  const path = claimEpochPath(room.home, room.name);
  let stored = 0;
  try {
    stored = Number((JSON.parse(await readFile(path, 'utf8')) as { epoch?: unknown }).epoch) || 0;
  } catch {
    // no counter yet (or corrupt): the files' epochs still bound it from below
  }
  const next = Math.max(stored, ...claims.map((c) => c.epoch)) + 1;
  await mkdir(claimEpochsDir(room.home), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify({ epoch: next })}\n`);
  return next;
}

function withClaimsLock<T>(room: Room, work: () => Promise<T>): Promise<T> {
  return withLock(room.home, `${room.name}/claims/*`, work);
}

export const claimKey = (id: string): string => `${CLAIMS_PREFIX}${id}`;

function newClaimId(): string {
  return `c-${BigInt('0x' + nodeCrypto().randomBytes(6).toString('hex')).toString(36).padStart(8, '0').slice(-8)}`;
}

function clock(options: ClaimOptions): Date {
  return (options.now ?? (() => new Date()))();
}

function optionalText(value: string | undefined, what: string, max: number): string | null {
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string' || value.length > max) throw new InvalidInputError(`--${what} must be text of at most ${max} characters`);
  return value;
}

function validateTaskRef(task: string): string {
  const id = task.trim().toLowerCase();
  if (!TASK_ID.test(id)) throw new InvalidInputError(`--task '${task}' is not a task id (ids look like t-7k2f)`);
  return id;
}
