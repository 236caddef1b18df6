import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { NegotiationInputError, SessionConflictError, SessionCorruptError, SessionNotFoundError } from '../src/errors.js';
import { Room } from '../src/room.js';
import { decide, aspiration } from '../src/coord/negotiation/auto.js';
import { eventNow } from '../src/coord/negotiation/events.js';
import { issuesFromPositions, step } from '../src/coord/negotiation/mediator.js';
import { planTasksPort as sessionTasksPort } from '../src/coord/negotiation/plan-tasks.js';
import { completeTask, readPlan } from '../src/coord/plan/store.js';
import { parseJoin, parseOpen, snap, completeOffer } from '../src/coord/negotiation/schema.js';
import { simulate } from '../src/coord/negotiation/simulate.js';
import { advance, joinSession, loadSession, openNegotiation, replyToRound } from '../src/coord/negotiation/store.js';
import { candidates, scorerFor, utilityOfOffer } from '../src/coord/negotiation/utility.js';
import type { Issue, Position } from '../src/coord/negotiation/format.js';
import { homeWithRoom } from './helpers.js';

const ISSUES: Issue[] = [
  { key: 'api', options: ['rest', 'graphql'] },
  { key: 'db', options: ['postgres', 'sqlite', 'mysql'] },
];

function position(handle: string, prefer: Record<string, string[]>, extra: Partial<Position> = {}): Position {
  return { handle, message: '', prefer, weight: {}, limits: {}, joined_at: '2026-01-01T00:00:00.000Z', ...extra };
}

/** A clock the test moves by hand. */
function clock(start = '2026-01-01T00:00:00.000Z') {
  let t = Date.parse(start);
  return { now: () => new Date(t), tick: (ms: number) => (t += ms) };
}

describe('negotiation: utilities and candidates', () => {
  it('scores options 1 - rank/(n-1), weights issues, and a hard limit makes an outcome unacceptable', () => {
    const p = position('ana', { api: ['graphql', 'rest'], db: ['sqlite', 'postgres', 'mysql'] }, { weight: { api: 3, db: 1 }, limits: { db: ['mysql'] } });
    const s = scorerFor(p, ISSUES);
    expect(utilityOfOffer(s, { api: 'graphql', db: 'sqlite' }, ISSUES)).toBe(1);
    expect(utilityOfOffer(s, { api: 'rest', db: 'postgres' }, ISSUES)).toBeCloseTo((3 * 0 + 1 * 0.5) / 4);
    expect(utilityOfOffer(s, { api: 'graphql', db: 'mysql' }, ISSUES)).toBe(-1);
  });

  it('ranks candidates by Nash product, then the larger minimum, then option order; cuts a big grid and says so', () => {
    const a = scorerFor(position('a', { api: ['rest', 'graphql'], db: ['postgres', 'sqlite', 'mysql'] }), ISSUES);
    const b = scorerFor(position('b', { api: ['graphql', 'rest'], db: ['postgres', 'mysql', 'sqlite'] }), ISSUES);
    const list = candidates(ISSUES, [a, b]);
    expect(list.acceptable[0].offer.db).toBe('postgres');
    // rest/postgres and graphql/postgres have the same Nash product and minimum: option order decides.
    expect(list.acceptable[0].offer).toEqual({ api: 'rest', db: 'postgres' });
    expect(list.acceptable[1].offer).toEqual({ api: 'graphql', db: 'postgres' });
    const big: Issue[] = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, options: Array.from({ length: 7 }, (_, j) => `o${j}`) }));
    const cut = candidates(big, [scorerFor(position('a', {}), big)], 1000);
    expect(cut.cut).toBe(true);
    expect(cut.gridSize).toBe(16807);
    expect(cut.all.length).toBe(1000);
  });

  it('derives issues from --prefer in first-seen order, snapping case and separators', () => {
    const issues = issuesFromPositions([
      position('a', { 'api-style': ['rest', 'graphql'] }),
      position('b', { API_Style: ['GraphQL', 'grpc'], db: ['pg'] }, { joined_at: '2026-01-01T00:00:01.000Z' }),
    ]);
    expect(issues).toEqual([{ key: 'api-style', options: ['rest', 'graphql', 'grpc'] }, { key: 'db', options: ['pg'] }]);
    expect(snap('Api Style', ['api-style'])).toBe('api-style');
    expect(snap('apistyles', ['api-style'])).toBeUndefined();
  });

  it('refuses invented keys and outside values with the valid ones listed', () => {
    expect(() => completeOffer({ dB: 'SQLite' }, ISSUES, { api: 'rest', db: 'postgres' })).not.toThrow();
    expect(completeOffer({ dB: 'SQLite' }, ISSUES, { api: 'rest', db: 'postgres' })).toEqual({ api: 'rest', db: 'sqlite' });
    const invented = (() => { try { completeOffer({ cache: 'redis' }, ISSUES, {}); } catch (e) { return e; } })() as NegotiationInputError;
    expect(invented).toBeInstanceOf(NegotiationInputError);
    expect(invented.code).toBe('invalid_key');
    expect(invented.validKeys).toEqual(['api', 'db']);
    const outside = (() => { try { completeOffer({ db: 'oracle' }, ISSUES, {}); } catch (e) { return e; } })() as NegotiationInputError;
    expect(outside.code).toBe('invalid_value');
    expect(outside.validKeys).toEqual(['postgres', 'sqlite', 'mysql']);
    expect(() => parseJoin({ prefer: ['api'] })).toThrow(/ISSUE=best>next/);
    expect(() => parseJoin({ weight: ['api=heavy'] })).toThrow(/number/);
    expect(() => parseOpen({ issue: ['api=rest'] })).toThrow(/at least two options/);
    expect(() => parseOpen({ participants: 'ana' })).toThrow(/two/);
    expect(() => parseOpen({ joinWindow: 'soon' })).toThrow(/duration/);
  });

  it('boulware keeps its aspiration high until late; a simulated negotiation agrees, the same way every time', () => {
    expect(aspiration(1, 20, 'boulware')).toBeGreaterThan(0.99);
    expect(aspiration(10, 20, 'linear')).toBeCloseTo(0.5);
    const positions = [
      position('a', { api: ['rest', 'graphql'], db: ['postgres', 'sqlite', 'mysql'] }),
      position('b', { api: ['graphql', 'rest'], db: ['postgres', 'mysql', 'sqlite'] }),
    ];
    const result = simulate(ISSUES, positions, 'boulware');
    expect(result.broken).toBe(false);
    expect(result.rounds).toBeGreaterThan(10); // boulware holds out
    expect(simulate(ISSUES, positions, 'conceder')).toMatchObject({ broken: false, outcome: { db: 'postgres' } });
    // The same inputs give the same outcome.
    expect(simulate(ISSUES, positions, 'boulware')).toEqual(result);
  });

  it('incompatible hard limits end broken after the budget, saying why', () => {
    const positions = [
      position('a', { db: ['postgres', 'sqlite', 'mysql'] }, { limits: { db: ['sqlite', 'mysql'] } }),
      position('b', { db: ['sqlite', 'mysql', 'postgres'] }, { limits: { db: ['postgres'] } }),
    ];
    const result = simulate([ISSUES[1]], positions, 'conceder', 6);
    expect(result.broken).toBe(true);
    expect(result.rounds).toBe(6);
    expect(result.reason).toMatch(/hard limits.*a refuses db=sqlite\|mysql; b refuses db=postgres/);
  });
});

describe('negotiation: files and the mediator', () => {
  it('join, ticks, replies and consensus are files; the round closes only when all replied', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const c = clock();
    const deps = { plan: sessionTasksPort, now: c.now };
    await openNegotiation(room, 'ana', parseOpen({ issue: ['api=rest,graphql', 'db=postgres,sqlite'], participants: 'ana,bob' }), deps);
    const joined = await joinSession(room, 'ana', parseJoin({ message: 'rest please', prefer: ['API=rest>graphql', 'db=sqlite>postgres'] }), deps);
    expect((await joinSession(room, 'ana', parseJoin({}), deps)).joined).toBe(false);
    expect(joined.position.prefer).toEqual({ api: ['rest', 'graphql'], db: ['sqlite', 'postgres'] });
    await expect(joinSession(room, 'bob', parseJoin({ prefer: ['cache=redis>none'] }), deps)).rejects.toThrow(/not an issue.*api, db/);
    await joinSession(room, 'bob', parseJoin({ prefer: ['api=graphql>rest', 'db=sqlite>postgres'] }), deps);
    const tick = await eventNow(room, 'ana', deps);
    expect(tick).toMatchObject({ type: 'tick', round: 1, proposer_id: 'ana', next_proposer_id: 'bob', can_counter_offer: true, prior_round_outcome: 'first_round' });
    expect(tick && tick.type === 'tick' && tick.current_offer.db).toBe('sqlite');
    await expect(replyToRound(room, 'bob', { action: 'propose', proposal: { api: 'graphql' } }, deps)).rejects.toMatchObject({ code: 'not_your_turn' });
    await replyToRound(room, 'bob', { action: 'accept' }, deps);
    await expect(replyToRound(room, 'bob', { action: 'reject' }, deps)).rejects.toBeInstanceOf(SessionConflictError);
    expect(await eventNow(room, 'bob', deps)).toBeUndefined();
    expect((await loadSession(room, (tick as { session: string }).session)).session.round).toBe(1);
    await replyToRound(room, 'ana', { action: 'accept' }, deps);
    const done = await eventNow(room, 'ana', deps);
    expect(done).toMatchObject({ type: 'consensus', broken: false, plan_file: 'plan/tasks.md' });
    expect(done && done.type === 'consensus' && done.plan).toContain('db: sqlite');
    expect(done && done.type === 'consensus' && done.assignments.ana).toContain('db: sqlite');
    expect(await eventNow(room, 'ana', deps)).toMatchObject({ type: 'consensus', replayed: true });
    // Joining after the session concluded starts a new one.
    const next = await joinSession(room, 'ana', parseJoin({}), deps);
    expect(next.session).not.toBe(joined.session);
  });

  it('a silent agent breaks the session after the round timeout; respond with no session is not found', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const c = clock();
    const deps = { plan: sessionTasksPort, now: c.now };
    await expect(replyToRound(room, 'ana', { action: 'accept' }, deps)).rejects.toBeInstanceOf(SessionNotFoundError);
    await openNegotiation(room, 'ana', parseOpen({ issue: ['api=rest,graphql'], participants: 'ana,bob', roundTimeout: '10s' }), deps);
    await joinSession(room, 'ana', parseJoin({ prefer: ['api=rest>graphql'] }), deps);
    await joinSession(room, 'bob', parseJoin({ prefer: ['api=graphql>rest'] }), deps);
    await replyToRound(room, 'ana', { action: 'reject' }, deps);
    c.tick(5_000);
    expect(await eventNow(room, 'ana', deps)).toBeUndefined();
    c.tick(6_000);
    expect(await eventNow(room, 'ana', deps)).toMatchObject({ type: 'consensus', broken: true, reason: expect.stringMatching(/bob did not reply within 10s/) });
  });

  it('one participant is told plainly that it needs two', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const c = clock();
    const deps = { plan: sessionTasksPort, now: c.now };
    await joinSession(room, 'ana', parseJoin({ prefer: ['api=rest>graphql'] }), deps);
    expect(await eventNow(room, 'ana', deps)).toBeUndefined();
    c.tick(31_000);
    expect(await eventNow(room, 'ana', deps)).toMatchObject({ type: 'error', error: 'needs_two_participants', instruction: expect.stringMatching(/at least two participants/) });
  });

  it('a hand-edited session.md is refused, naming the file, and nothing more is written', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const deps = { plan: sessionTasksPort, now: clock().now };
    const joined = await joinSession(room, 'ana', parseJoin({ prefer: ['api=rest>graphql'] }), deps);
    const path = room.pathOf(`sessions/${joined.session}/session`);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"state": "joining"', '"state": "paused"'));
    await expect(advance(room, joined.session, deps)).rejects.toBeInstanceOf(SessionCorruptError);
    await expect(joinSession(room, 'bob', parseJoin({}), deps)).rejects.toThrow(new RegExp(`${joined.session}/session.md is not a valid negotiation file \\(field 'state'`));
    await writeFile(path, '---\nkey: [broken\n---\n{');
    await expect(eventNow(room, 'ana', deps)).rejects.toBeInstanceOf(SessionCorruptError);
  });

  it('the mediator step is pure: the same files and time give the same next state', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const c = clock();
    const deps = { plan: sessionTasksPort, now: c.now };
    await openNegotiation(room, 'ana', parseOpen({ issue: ['api=rest,graphql'], participants: 'ana,bob' }), deps);
    const j = await joinSession(room, 'ana', parseJoin({ prefer: ['api=rest>graphql'] }), deps);
    await joinSession(room, 'bob', parseJoin({ prefer: ['api=graphql>rest'] }), deps);
    await replyToRound(room, 'bob', { action: 'reject' }, deps);
    const files = await loadSession(room, j.session);
    const reply = { handle: 'ana', round: 1, action: 'propose' as const, offer: { api: 'rest' }, at: c.now().toISOString() };
    const once = step(files.session, files.positions, [...files.replies, reply], c.now());
    expect(step(files.session, files.positions, [...files.replies, reply], c.now())).toEqual(once);
    expect(once?.session).toMatchObject({ round: 2, proposer_id: 'bob', standing_offer: { api: 'rest' }, prior_round_outcome: 'proposer_countered' });
    expect(decide(once!.session, files.positions, 'bob', 'boulware')).toEqual({ action: 'propose', offer: { api: 'graphql' } });
  });

  it('consensus becomes plan/tasks.md before it is announced; re-negotiating keeps [x] lines and drops stale open ones', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const c = clock();
    const deps = { plan: sessionTasksPort, now: c.now };
    const agree = async (api: string) => {
      c.tick(1000); // session ids sort by creation time
      await openNegotiation(room, 'lead', parseOpen({ issue: ['api=rest,graphql', 'db=postgres,sqlite'], participants: 'ana,bob' }), deps);
      await joinSession(room, 'ana', parseJoin({ prefer: [`api=${api}>${api === 'rest' ? 'graphql' : 'rest'}`, 'db=postgres>sqlite'] }), deps);
      await joinSession(room, 'bob', parseJoin({ prefer: [`api=${api}>${api === 'rest' ? 'graphql' : 'rest'}`] }), deps);
      await replyToRound(room, 'ana', { action: 'accept' }, deps);
      await replyToRound(room, 'bob', { action: 'accept' }, deps);
      return eventNow(room, 'ana', deps);
    };
    const first = await agree('rest');
    expect(first).toMatchObject({ type: 'consensus', plan: ['api: rest', 'db: postgres'], plan_file: 'plan/tasks.md', assignments: { ana: ['api: rest', 'db: postgres'], bob: ['api: rest'] } });
    let plan = await readPlan(room);
    expect(plan.tasks.map((t) => [t.text, t.state, t.owner])).toEqual([['api: rest', 'open', 'ana'], ['db: postgres', 'open', 'ana']]);
    await completeTask(room, 'ana', [plan.tasks[1].id]);
    const doneLine = (await readFile(room.pathOf('plan/tasks'), 'utf8')).split('\n').find((l) => l.includes('db: postgres'));
    const second = await agree('graphql');
    expect(second).toMatchObject({ type: 'consensus', plan: ['api: graphql', 'db: postgres'] });
    plan = await readPlan(room);
    expect(plan.tasks.map((t) => [t.text, t.state])).toEqual([['api: rest', 'dropped'], ['db: postgres', 'done'], ['api: graphql', 'open']]);
    expect((await readFile(room.pathOf('plan/tasks'), 'utf8')).split('\n')).toContain(doneLine);
  });
});
