/**
 * The web page's other actions (issue 16): drop a task, hand off a claim, take part in a
 * negotiation (join, respond, propose), paging of the messages and negotiations pages, and the
 * synthesis button as a job — against a real `mycelium serve` and real files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerAgent } from '../src/coord/agents.js';
import { getClaim, grantClaim } from '../src/coord/claims/store.js';
import { eventNow } from '../src/coord/negotiation/events.js';
import { planTasksPort } from '../src/coord/negotiation/plan-tasks.js';
import { parseJoin, parseOpen } from '../src/coord/negotiation/schema.js';
import { sessionStatus } from '../src/coord/negotiation/status.js';
import { joinSession, openNegotiation, replyToRound } from '../src/coord/negotiation/store.js';
import { addTasks, readPlan } from '../src/coord/plan/store.js';
import { sendMessage } from '../src/coord/messages/store.js';
import { Room } from '../src/room.js';
import { homeWithRoom, startServe } from './helpers.js';

const OFFLINE = { MYCELIUM_OFFLINE: '1' };
const XSS = '<img src=x onerror=alert(1)>';
const deps = { plan: planTasksPort };

function post(url: string, origin: string, fields: Record<string, string>) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('page actions: drop a task, hand off a claim', () => {
  it('drops a task as the operator through the plan verb, refuses a bad id and another site', async () => {
    const home = homeWithRoom('team');
    const room = await Room.open(home, 'team');
    const [task] = await addTasks(room, 'ana', [{ text: `try ${XSS}` }]);
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const html = await (await fetch(`${server.url}/ui/rooms/team/plan`)).text();
    expect(html).toContain('action="/ui/rooms/team/plan/drop"');
    expect((await post(`${server.url}/ui/rooms/team/plan/drop`, 'http://evil.example', { id: task.id })).status).toBe(403);
    expect((await readPlan(room)).tasks[0].state).toBe('open');
    const dropped = await post(`${server.url}/ui/rooms/team/plan/drop`, server.url, { id: task.id, back: '/ui/rooms/team/plan' });
    expect(dropped.status).toBe(303);
    expect(dropped.headers.get('location')).toBe('/ui/rooms/team/plan');
    expect((await readPlan(room)).tasks[0]).toMatchObject({ state: 'dropped', closed_by: 'lead' });
    expect(readFileSync(join(home, 'rooms', 'team', 'plan', 'tasks.md'), 'utf8')).toContain('dropped:@lead');
    const bad = await post(`${server.url}/ui/rooms/team/plan/drop`, server.url, { id: 't-zzzz' });
    expect(bad.status).toBe(404);
    expect(await bad.text()).toMatch(/<p class="error" role="alert">[^<]*t-zzzz/);
  }, 60_000);

  it("hands off the operator's own claim with its epoch; refuses another's claim, a stale epoch and a bad handle", async () => {
    const home = homeWithRoom('team');
    const room = await Room.open(home, 'team');
    await registerAgent(room, 'ana', {});
    const mine = (await grantClaim(room, { holder: 'lead', paths: ['src/web/'], ttl: '1h' })).claim;
    const theirs = (await grantClaim(room, { holder: 'ana', paths: ['src/db/'], ttl: '1h' })).claim;
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const html = await (await fetch(`${server.url}/ui/rooms/team/claims`)).text();
    const row = (id: string) => html.slice(html.indexOf(`data-claim="${id}"`), html.indexOf('</tr>', html.indexOf(`data-claim="${id}"`)));
    expect(row(mine.id)).toContain('/claims/handoff');
    expect(row(mine.id)).toContain(`name="epoch" value="${mine.epoch}"`);
    expect(row(theirs.id)).not.toContain('/claims/handoff');
    // Another's claim: the verb's own refusal (not yours, 409-class), nothing changes.
    const notMine = await post(`${server.url}/ui/rooms/team/claims/handoff`, server.url, { id: theirs.id, to: 'bob', epoch: String(theirs.epoch) });
    expect(notMine.status).toBeGreaterThanOrEqual(400);
    expect(await notMine.text()).toMatch(/class="error"[^>]*>claim c-[0-9a-z]+ is held by @ana/);
    expect((await getClaim(room, theirs.id)).holder).toBe('ana');
    expect((await post(`${server.url}/ui/rooms/team/claims/handoff`, server.url, { id: mine.id, to: '<b>x</b>', epoch: String(mine.epoch) })).status).toBe(400);
    expect((await post(`${server.url}/ui/rooms/team/claims/handoff`, server.url, { id: mine.id, to: 'bob', epoch: String(mine.epoch + 100) })).status).toBe(409);
    expect((await post(`${server.url}/ui/rooms/team/claims/handoff`, 'http://evil.example', { id: mine.id, to: 'bob' })).status).toBe(403);
    const handed = await post(`${server.url}/ui/rooms/team/claims/handoff`, server.url, { id: mine.id, to: 'bob', epoch: String(mine.epoch), back: '/ui/rooms/team/claims' });
    expect(handed.status).toBe(303);
    const now = await getClaim(room, mine.id);
    expect(now.holder).toBe('bob');
    expect(now.epoch).toBeGreaterThan(mine.epoch);
  }, 60_000);
});

describe('page actions: a negotiation', () => {
  it('joins as the operator, answers a round and counters on its turn, through the CLI schemas; errors shown', async () => {
    const home = homeWithRoom('team');
    const room = await Room.open(home, 'team');
    await openNegotiation(room, 'ana', parseOpen({ issue: [`api=rest,graphql`], participants: 'ana,lead' }), deps);
    await joinSession(room, 'ana', parseJoin({ message: XSS, prefer: ['api=rest>graphql'] }), deps);
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const page = await (await fetch(`${server.url}/ui/rooms/team/negotiations`)).text();
    expect(page).toContain('action="/ui/rooms/team/negotiate/join"');
    expect(page).not.toContain(XSS);
    // A preference naming an option the session does not have: the schema's own error, nothing written.
    const wrong = await post(`${server.url}/ui/rooms/team/negotiate/join`, server.url, { prefer: 'api=soap>rest' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toMatch(/class="error"[^>]*>&#39;soap&#39; is not an option of api/);
    const joined = await post(`${server.url}/ui/rooms/team/negotiate/join`, server.url, {
      message: 'I want the graph',
      prefer: 'api=graphql>rest',
      weight: 'api=2',
      back: '/ui/rooms/team/negotiations',
    });
    expect(joined.status).toBe(303);
    await eventNow(room, 'ana', deps);
    let status = await sessionStatus(room);
    expect(status.state).toBe('active');
    expect(status.participants).toEqual(['ana', 'lead']);
    // Round 1 is ana's to propose: the page offers lead accept/reject/end, no counter.
    const round1 = await (await fetch(`${server.url}/ui/rooms/team/negotiations`)).text();
    expect(round1).toContain('action="/ui/rooms/team/negotiate/respond"');
    expect(round1).not.toContain('action="/ui/rooms/team/negotiate/propose"');
    const outOfTurn = await post(`${server.url}/ui/rooms/team/negotiate/propose`, server.url, { 'offer.api': 'graphql' });
    expect(outOfTurn.status).toBe(400);
    expect((await post(`${server.url}/ui/rooms/team/negotiate/respond`, server.url, { answer: 'maybe' })).status).toBe(400);
    expect((await post(`${server.url}/ui/rooms/team/negotiate/respond`, server.url, { answer: 'reject' })).status).toBe(303);
    expect((await post(`${server.url}/ui/rooms/team/negotiate/respond`, server.url, { answer: 'reject' })).status).toBe(409); // one reply a round
    await replyToRound(room, 'ana', { action: 'reject' }, deps);
    await eventNow(room, 'ana', deps);
    status = await sessionStatus(room);
    expect(status.round).toBe(2);
    expect(status.proposer_id).toBe('lead');
    const round2 = await (await fetch(`${server.url}/ui/rooms/team/negotiations`)).text();
    expect(round2).toContain('action="/ui/rooms/team/negotiate/propose"');
    expect(round2).toMatch(/<select name="offer.api">/);
    expect((await post(`${server.url}/ui/rooms/team/negotiate/propose`, server.url, { 'offer.api': 'grpc' })).status).toBe(400);
    expect((await post(`${server.url}/ui/rooms/team/negotiate/propose`, 'http://evil.example', { 'offer.api': 'graphql' })).status).toBe(403);
    expect((await post(`${server.url}/ui/rooms/team/negotiate/propose`, server.url, { 'offer.api': 'GraphQL' })).status).toBe(303);
    const reply = (await room.get(`sessions/${status.session}/rounds/2/lead`)).value;
    expect(reply).toMatchObject({ action: 'propose', offer: { api: 'graphql' } });
  }, 60_000);
});

describe('paging', () => {
  it('the messages page shows the newest 200 and pages back to older ones', async () => {
    const home = homeWithRoom('team');
    const room = await Room.open(home, 'team');
    for (let i = 0; i < 205; i++) await sendMessage(room, { from: 'ana', text: `note number ${i}.` });
    const server = await startServe(home, [], OFFLINE);
    const first = await (await fetch(`${server.url}/ui/rooms/team/messages`)).text();
    expect(first).toContain('note number 204.');
    expect(first).toContain('note number 5.');
    expect(first).not.toContain('note number 4.');
    const older = /href="(\/ui\/rooms\/team\/messages\?before=[^"]+)" rel="next"/.exec(first)?.[1];
    expect(older).toBeDefined();
    const second = await (await fetch(`${server.url}${older!.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)))}`)).text();
    for (let i = 0; i < 5; i++) expect(second).toContain(`note number ${i}.`);
    expect(second).not.toContain('note number 5.');
    expect(second).not.toContain('rel="next"');
    expect(second).toContain('rel="first"');
  }, 120_000);

  it('the negotiations page shows the newest 50 sessions and pages back', async () => {
    const home = homeWithRoom('team');
    const dir = join(home, 'rooms', 'team', 'sessions');
    // 53 concluded sessions written as files (the files are the truth).
    const ids: string[] = [];
    for (let i = 0; i < 53; i++) {
      const id = `20261201-${String(100000000 + i * 1000).padStart(9, '0')}-ab${String(i).padStart(2, '0')}`;
      ids.push(id);
      mkdirSync(join(dir, id), { recursive: true });
    }
    const room = await Room.open(home, 'team');
    // One real session too, so its files are what the library writes; the rest copy its session file.
    await joinSession(room, 'ana', parseJoin({ prefer: ['api=rest>graphql'] }), deps);
    const real = (await sessionStatus(room)).session;
    const text = readFileSync(join(dir, real, 'session.md'), 'utf8');
    for (const id of ids) writeFileSync(join(dir, id, 'session.md'), text.replaceAll(real, id));
    const server = await startServe(home, [], OFFLINE);
    const first = await (await fetch(`${server.url}/ui/rooms/team/negotiations`)).text();
    const shown = [...first.matchAll(/data-session="([^"]+)"/g)].map((m) => m[1]);
    expect(shown.length).toBe(50);
    expect(shown[0]).toBe(real);
    const older = /href="([^"]+)" rel="next"/.exec(first)?.[1];
    expect(older).toBe(`/ui/rooms/team/negotiations?before=${shown[49]}`);
    const second = await (await fetch(`${server.url}${older}`)).text();
    expect([...second.matchAll(/data-session="([^"]+)"/g)].map((m) => m[1])).toEqual(ids.slice(0, 4).reverse());
    expect(second).not.toContain('rel="next"');
  }, 60_000);
});

describe('the synthesis button starts a job', () => {
  it('answers at once while a slow LLM runs, shows the step, then the result', async () => {
    const home = homeWithRoom('team');
    mkdirSync(join(home, 'rooms', 'team', 'decisions'), { recursive: true });
    writeFileSync(join(home, 'rooms', 'team', 'decisions', 'db.md'), `---\nversion: 1\nupdated_by: ana\n---\nUse PostgreSQL ${XSS}\n`);
    writeFileSync(join(home, 'config.toml'), `[llm]\ncommand = "sleep 3; cat > /dev/null; echo '## What is built'; echo 'the db (decisions/db)'"\ntimeout_seconds = 30\n`);
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const started = Date.now();
    const res = await post(`${server.url}/ui/rooms/team/synthesis`, server.url, {});
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    const id = /\?job=([0-9a-f]+)$/.exec(location)?.[1];
    expect(id).toBeDefined();
    const running = await (await fetch(`${server.url}${location}`)).text();
    expect(running).toContain('id="synthesis-job"');
    expect(running).toContain('data-state="running"');
    expect(running).toMatch(/<button type="submit" disabled>Write a synthesis now/);
    // A second press while it runs follows the same job.
    const again = await post(`${server.url}/ui/rooms/team/synthesis`, server.url, {});
    expect(again.headers.get('location')).toBe(location);
    let job: { state: string; step: string; result: { key: string; method: string } | null } = { state: 'running', step: '', result: null };
    const steps = new Set<string>();
    for (let i = 0; i < 100 && job.state === 'running'; i++) {
      job = await (await fetch(`${server.url}/ui/rooms/team/synthesis/jobs/${id}`)).json();
      steps.add(job.step);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([...steps].some((s) => s.startsWith('asking the LLM (command)'))).toBe(true);
    expect(job.state).toBe('done');
    expect(job.result).toMatchObject({ method: 'llm' });
    expect(existsSync(join(home, 'rooms', 'team', `${job.result!.key}.md`))).toBe(true);
    const done = await (await fetch(`${server.url}${location}`)).text();
    expect(done).toContain('data-state="done"');
    expect(done).toContain(`Wrote <a href="/ui/rooms/team/memory/${job.result!.key}">`);
    expect(done).not.toContain(XSS);
    expect((await fetch(`${server.url}/ui/rooms/team/synthesis/jobs/ffffffffffff`)).status).toBe(404);
    expect((await post(`${server.url}/ui/rooms/team/synthesis`, 'http://evil.example', {})).status).toBe(403);
  }, 60_000);
});
