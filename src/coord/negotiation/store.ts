/**
 * The negotiation's files and the verbs that write them (issue 14). Each verb writes only its own
 * file (a position, a reply) and then lets the mediator step; a mediator step runs under the
 * session's lock, re-reads the files, and writes session.md (and the plan and consensus.md when it
 * ends) so whichever process gets there first does it once, and a process killed at any moment
 * leaves files the next one continues from.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, MemoryNotFoundError, NegotiationInputError, SessionConflictError, SessionNotFoundError } from '../../errors.js';
import { withLock } from '../../lock.js';
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import {
  type Consensus,
  type Offer,
  type Position,
  type Reply,
  type Session,
  SESSION_SCHEMA,
  SESSIONS_PREFIX,
  consensusKey,
  newSessionId,
  positionKey,
  readConsensus,
  readPosition,
  readSession,
  replyKey,
  sessionIdOf,
  sessionKey,
} from './format.js';
import type { LlmProvider } from '../llm.js';
import { announce, announcementDue } from './announce.js';
import { agreedTasks, negotiationLlm, startWithDerivedIssues, wantsDerivedIssues } from './llm-mediator.js';
import { step, withDerivedPrefer } from './mediator.js';
import { assignmentsOf, type PlanPort } from './plan-port.js';
import { type JoinInput, type OpenInput, completeOffer, parseOpen, snapJoin } from './schema.js';
import { readPositions, readReplies } from './session-read.js';

/** What the mediator needs besides the room: the clock and the plan. */
export interface NegotiationDeps {
  plan: PlanPort;
  now?: () => Date;
  /** `[llm]` from config.toml: derives issues from free text and compiles agreements into tasks (the local provider counts as none). */
  llm?: LlmProvider;
}

export interface SessionFiles {
  session: Session;
  positions: Position[];
  /** The current round's replies. */
  replies: Reply[];
}

const clock = (deps: NegotiationDeps) => (deps.now ?? (() => new Date()))();

/** Every session id in the room, oldest first (ids sort by creation time). */
export async function sessionIds(room: Room): Promise<string[]> {
  const names = await readdir(join(room.dir, SESSIONS_PREFIX)).catch(() => [] as string[]);
  return names.filter((n) => sessionIdOf(sessionKey(n)) !== undefined && existsSync(room.pathOf(sessionKey(n)))).sort();
}

async function getOptional(room: Room, key: string) {
  try {
    return await room.get(key);
  } catch (err) {
    if (err instanceof MemoryNotFoundError) return undefined;
    throw err;
  }
}

export async function readSessionFile(room: Room, id: string): Promise<Session> {
  const memory = await getOptional(room, sessionKey(id));
  if (!memory) throw new SessionNotFoundError(`no session '${id}' in room '${room.name}'; list them with \`mycelium negotiate status\``);
  return readSession(memory);
}

/**
 * session.md, every position, and the current round's replies, each checked: only those two
 * folders are listed, and files this process decoded before are not read again (session-read.ts).
 */
export async function loadSession(room: Room, id: string): Promise<SessionFiles> {
  const session = await readSessionFile(room, id);
  const [positions, replies] = await Promise.all([readPositions(room, id), readReplies(room, id, session.round)]);
  return { session, positions: withDerivedPrefer(positions, session.derived_prefer), replies };
}

/** The room's open session (the newest one not concluded), if any. */
export async function openSessionId(room: Room): Promise<string | undefined> {
  const ids = await sessionIds(room);
  for (let i = ids.length - 1; i >= 0; i--) {
    const session = await readSessionFile(room, ids[i]);
    if (session.state !== 'concluded') return ids[i];
  }
  return undefined;
}

/** The newest session this handle has a position in (open or concluded). */
export async function sessionOf(room: Room, handle: string): Promise<string | undefined> {
  const ids = await sessionIds(room);
  for (let i = ids.length - 1; i >= 0; i--) if (existsSync(room.pathOf(positionKey(ids[i], handle)))) return ids[i];
  return undefined;
}

function freshSession(id: string, handle: string, open: OpenInput, now: Date): Session {
  return {
    schema: SESSION_SCHEMA,
    id,
    state: 'joining',
    created_at: now.toISOString(),
    created_by: handle,
    join_deadline: new Date(now.getTime() + open.joinWindowS * 1000).toISOString(),
    round_timeout_s: open.roundTimeoutS,
    n_steps_total: open.rounds,
    participants_wanted: open.participants,
    issues: open.issues,
    issues_source: open.issues ? 'explicit' : null,
    participants: [],
    round: 0,
    round_started_at: null,
    round_deadline: null,
    standing_offer: null,
    offer_source: null,
    proposer_id: null,
    rejected: [],
    prior_round_outcome: 'first_round',
    grid_size: 0,
    grid_cut: false,
    notes: [],
    reason: null,
  };
}

const writeSession = (room: Room, session: Session, handle: string) =>
  room.set(sessionKey(session.id), session, { handle, format: 'json', fields: { state: session.state, round: session.round } });

/** Finding or creating the open session happens under one room-wide lock, so two joiners share one. */
const openLock = (room: Room) => `${room.name}/${SESSIONS_PREFIX}.open`;

/**
 * `negotiate open`: sets the issues and limits of the room's open session (creating it if none is
 * open). A session already under way cannot be reopened.
 */
export async function openNegotiation(room: Room, handleInput: string, open: OpenInput, deps: NegotiationDeps): Promise<Session> {
  const handle = validateHandle(handleInput);
  const session = await withLock(room.home, openLock(room), async () => {
    const now = clock(deps);
    const id = await openSessionId(room);
    if (id === undefined) {
      const created = freshSession(newSessionId(now), handle, open, now);
      await writeSession(room, created, handle);
      return created;
    }
    return withLock(room.home, sessionLock(room, id), async () => {
      const current = await readSessionFile(room, id);
      if (current.state !== 'joining') {
        throw new SessionConflictError(
          `session ${id} is under way (round ${current.round}); wait for it to end (\`mycelium session await\`) before opening another`,
        );
      }
      const updated: Session = {
        ...current,
        issues: open.issues ?? current.issues,
        issues_source: open.issues ? 'explicit' : current.issues_source,
        n_steps_total: open.rounds,
        round_timeout_s: open.roundTimeoutS,
        participants_wanted: open.participants ?? current.participants_wanted,
        join_deadline: new Date(now.getTime() + open.joinWindowS * 1000).toISOString(),
      };
      await writeSession(room, updated, handle);
      return updated;
    });
  });
  await advanceIfFree(room, session.id, deps);
  return readSessionFile(room, session.id);
}

export interface JoinResult {
  session: string;
  joined: boolean;
  position: Position;
}

/** `session join`: the handle's position in the open session (a new session when none is open). Twice is a no-op. */
export async function joinSession(room: Room, handleInput: string, input: JoinInput, deps: NegotiationDeps): Promise<JoinResult> {
  const handle = validateHandle(handleInput);
  const result = await withLock(room.home, openLock(room), async () => {
    const now = clock(deps);
    let id = await openSessionId(room);
    let session: Session;
    if (id === undefined) {
      id = newSessionId(now);
      session = freshSession(id, handle, parseOpen({}), now);
      await writeSession(room, session, handle);
    } else session = await readSessionFile(room, id);
    const existing = await getOptional(room, positionKey(id, handle));
    if (existing) return { session: id, joined: false, position: readPosition(existing, handle) };
    if (session.state === 'active') {
      throw new SessionConflictError(
        `session ${id} is under way with ${session.participants.join(', ')}; join after it ends, or ask them to \`negotiate respond end\``,
      );
    }
    if (session.participants_wanted && !session.participants_wanted.includes(handle)) {
      throw new SessionConflictError(`session ${id} is for ${session.participants_wanted.join(', ')} only; ask its opener to add you with --participants`);
    }
    const checked = session.issues ? snapJoin(input, session.issues) : input;
    const position: Position = { handle, ...checked, joined_at: now.toISOString() };
    await room.create(positionKey(id, handle), position, { handle, format: 'json' });
    return { session: id, joined: true, position };
  });
  await advanceIfFree(room, result.session, deps);
  return result;
}

/** The session a reply goes to: the one the handle is in, which must be running with it. */
async function activeSessionFor(room: Room, handle: string): Promise<SessionFiles> {
  const id = await sessionOf(room, handle);
  if (id === undefined) {
    throw new SessionNotFoundError(`'${handle}' is in no session in room '${room.name}'; join one with \`mycelium session join -m "..."\``);
  }
  const files = await loadSession(room, id);
  if (files.session.state === 'concluded') {
    throw new SessionNotFoundError(`session ${id} has ended (${files.session.reason ?? 'agreed'}); start a new one with \`mycelium session join\``);
  }
  if (files.session.state === 'joining') {
    throw new SessionConflictError(`session ${id} has not started yet (waiting for participants); wait for a tick with \`mycelium session await\``);
  }
  return files;
}

export interface ReplyResult {
  session: string;
  round: number;
  action: Reply['action'];
  offer?: Offer;
}

/**
 * `negotiate respond` and `negotiate propose`: the handle's one reply in the current round. Refused
 * replies (invented keys, values outside the options, a counter out of turn, a second reply) write
 * nothing, so the slot stays open.
 */
export async function replyToRound(
  room: Room,
  handleInput: string,
  input: { action: 'accept' | 'reject' | 'end' } | { action: 'propose'; proposal: Record<string, string> },
  deps: NegotiationDeps,
): Promise<ReplyResult> {
  const handle = validateHandle(handleInput);
  const { session, replies } = await activeSessionFor(room, handle);
  if (!session.participants.includes(handle)) {
    throw new SessionConflictError(`'${handle}' is not a participant of session ${session.id} (${session.participants.join(', ')})`);
  }
  if (replies.some((r) => r.handle === handle)) {
    throw new SessionConflictError(`you already replied in round ${session.round}; wait for the next tick with \`mycelium session await\``);
  }
  let offer: Offer | undefined;
  if (input.action === 'propose') {
    if (session.proposer_id !== handle) {
      throw new NegotiationInputError(
        `it is ${session.proposer_id}'s turn to counter in round ${session.round}, not yours; answer with \`negotiate respond accept|reject\``,
        undefined,
        'not_your_turn',
      );
    }
    offer = completeOffer(input.proposal, session.issues ?? [], session.standing_offer ?? {});
  }
  const reply: Reply = { handle, round: session.round, action: input.action, ...(offer ? { offer } : {}), at: clock(deps).toISOString() };
  try {
    await room.create(replyKey(session.id, session.round, handle), reply, { handle, format: 'json' });
  } catch (err) {
    if (err instanceof ConflictError) throw new SessionConflictError(`you already replied in round ${session.round}; wait for the next tick`);
    throw err;
  }
  await advanceIfFree(room, session.id, deps);
  return { session: session.id, round: session.round, action: input.action, ...(offer ? { offer } : {}) };
}

/** advance, except that a busy lock is fine: its holder steps the session (the reply is already a file). */
export async function advanceIfFree(room: Room, id: string, deps: NegotiationDeps): Promise<boolean> {
  try {
    return await advance(room, id, deps);
  } catch (err) {
    if (err instanceof ConflictError) return false;
    throw err;
  }
}

const sessionLock = (room: Room, id: string) => `${room.name}/${SESSIONS_PREFIX}${id}`;

/**
 * Applies the mediator's step if one is due, and announces the stage session.md is at (its ticks or
 * its consensus as messages, see announce.ts) if that has not been done. A cheap look without the
 * lock first (most polls find nothing to do); then, under the lock, the files are read again and
 * the step is applied once. When the session ends the plan is written first, then consensus.md,
 * then session.md: a crash in between leaves session.md unconcluded, so the next look redoes the
 * (idempotent) ending. Messages go out only after session.md, so a tick never names a round the
 * files do not have yet.
 */
export async function advance(room: Room, id: string, deps: NegotiationDeps): Promise<boolean> {
  const look = await loadSession(room, id);
  const due = step(look.session, look.positions, look.replies, clock(deps)) !== undefined;
  if (!due && !(await announcementDue(room, look.session))) return false;
  return withLock(room.home, sessionLock(room, id), async () => {
    const files = await loadSession(room, id);
    const now = clock(deps);
    let result = step(files.session, files.positions, files.replies, now);
    const llm = negotiationLlm(deps.llm);
    if (result && llm && wantsDerivedIssues(files.session, result)) {
      result = await startWithDerivedIssues(llm, files.session, files.positions, files.replies, result, now);
    }
    let consensus: Consensus | undefined;
    if (result?.ended) {
      const ended = result.ended;
      const s = result.session;
      const compiled = ended.outcome && s.issues ? await agreedTasks(files.session, s, ended.outcome, files.positions, negotiationLlm(deps.llm), (kept) => writeSession(room, kept, 'mediator').then(() => {})) : undefined;
      const tasks = compiled?.tasks ?? [];
      const planFile = ended.outcome && tasks.length > 0 ? await deps.plan.compile(room, id, tasks, 'mediator') : null;
      if (compiled && compiled.notes.length > 0) result = { ...result, session: { ...s, notes: [...s.notes, ...compiled.notes] } };
      consensus = {
        session: id,
        broken: ended.broken,
        reason: ended.reason,
        outcome: ended.outcome,
        round: s.round,
        plan: tasks.map((t) => t.text),
        plan_file: planFile,
        assignments: assignmentsOf(tasks, s.participants),
        participants: s.participants,
        ...(compiled ? { tasks_source: compiled.source } : {}),
        ...(compiled && compiled.notes.length > 0 ? { notes: compiled.notes } : {}),
        at: clock(deps).toISOString(),
      };
      await room.set(consensusKey(id), consensus, { handle: 'mediator', format: 'json', fields: { broken: ended.broken } });
    }
    if (result) await writeSession(room, result.session, 'mediator');
    const session = result?.session ?? files.session;
    if (await announcementDue(room, session)) {
      if (session.state === 'concluded') consensus ??= await readConsensusFile(room, id);
      const replies = result ? [] : files.replies;
      // A step that opened the next round just read the round before it: its replies are the ticks' last actions.
      const previousReplies = result && session.round === files.session.round + 1 ? files.replies : undefined;
      await announce(room, { session, positions: files.positions, replies, previousReplies, consensus, planOpenTasks: () => deps.plan.openTasks(room) }, () => clock(deps));
    }
    return result !== undefined;
  });
}

export async function readConsensusFile(room: Room, id: string): Promise<Consensus | undefined> {
  const memory = await getOptional(room, consensusKey(id));
  return memory ? readConsensus(memory) : undefined;
}
