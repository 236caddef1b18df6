/**
 * The coordination parts of the web page (issue 16): the plan board, claims, negotiations, agents
 * and synthesis, and the page's actions, against a real `mycelium serve` and real files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerAgent } from '../src/coord/agents.js';
import { grantClaim, isStaleClaim, releaseStaleClaim } from '../src/coord/claims/store.js';
import { eventNow } from '../src/coord/negotiation/events.js';
import { planTasksPort } from '../src/coord/negotiation/plan-tasks.js';
import { parseJoin, parseOpen } from '../src/coord/negotiation/schema.js';
import { joinSession, openNegotiation, replyToRound } from '../src/coord/negotiation/store.js';
import { addTasks, readPlan } from '../src/coord/plan/store.js';
import { readDigestCursor } from '../src/coord/digest/cursor.js';
import { ClaimNotStaleError } from '../src/errors.js';
import { Room } from '../src/room.js';
import { escapeHtml } from '../src/server/web/html.js';
import { timeLeft } from '../src/server/web/views-coord.js';
import { cli, homeWithRoom, startServe } from './helpers.js';

const OFFLINE = { MYCELIUM_OFFLINE: '1' };
const XSS = '<img src=x onerror=alert(1)><script>alert(2)</script>';

function post(url: string, origin: string, fields: Record<string, string>) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The part of a page between two markers (to tell which board column or card a thing is in). */
function section(html: string, from: string, to: string): string {
  const start = html.indexOf(from);
  expect(start, `page has ${from}`).toBeGreaterThanOrEqual(0);
  const end = html.indexOf(to, start + from.length);
  return html.slice(start, end < 0 ? undefined : end);
}

/** A room with agents, a plan, claims and a negotiation in its first round, written through the libraries. */
async function busyRoom() {
  const home = homeWithRoom('team');
  const room = await Room.open(home, 'team');
  await registerAgent(room, 'ana', { role: '<b>lead</b>', description: XSS });
  const [first] = await addTasks(room, 'ana', [{ text: `migrate ${XSS}` }]);
  const [second] = await addTasks(room, 'ana', [{ text: 'ship it', needs: [first.id] }]);
  const [third] = await addTasks(room, 'ana', [{ text: 'write docs', owner: 'ana' }]);
  const live = (await grantClaim(room, { holder: 'ana', paths: ['src/app.ts'], ttl: '2h' })).claim;
  const orphan = (await grantClaim(room, { holder: 'bob', paths: ['src/db/'], ttl: '1h', task: first.id })).claim;
  const deps = { plan: planTasksPort };
  await openNegotiation(room, 'ana', parseOpen({ issue: ['api=rest,graphql'], participants: 'ana,bob' }), deps);
  await joinSession(room, 'ana', parseJoin({ prefer: ['api=rest>graphql'] }), deps);
  await joinSession(room, 'bob', parseJoin({ prefer: ['api=graphql>rest'] }), deps);
  await eventNow(room, 'ana', deps);
  await replyToRound(room, 'bob', { action: 'accept' }, deps);
  return { home, room, first, second, third, live, orphan };
}

describe('room page: coordination', () => {
  it('shows the plan as a board, claims with time left, the negotiation round and who replied, agents with presence', async () => {
    const { home, first, second, third, live, orphan } = await busyRoom();
    const server = await startServe(home, [], OFFLINE);
    const html = await (await fetch(`${server.url}/ui/rooms/team`)).text();
    const ready = section(html, '<h3>Ready', '<h3>Claimed');
    const claimed = section(html, '<h3>Claimed', '<h3>Blocked');
    const blocked = section(html, '<h3>Blocked', '<h3>Done');
    expect(ready).toContain(`data-id="${first.id}"`);
    expect(claimed).toContain(`data-id="${third.id}"`);
    expect(claimed).toContain('<span class="owner">@ana</span>');
    expect(blocked).toContain(`data-id="${second.id}"`);
    expect(blocked).toContain(`needs <span class="warn">${first.id}</span>`);
    expect(html).toContain('migrate &#60;img src=x onerror=alert(1)&#62;&#60;script&#62;alert(2)&#60;/script&#62;');
    const claims = section(html, '<table class="claims">', '</table>');
    expect(claims).toContain(`data-claim="${live.id}"`);
    expect(claims).toMatch(/<code>src\/app\.ts<\/code>/);
    expect(claims).toMatch(/1 h \d+ min left|120 min left/);
    // bob never registered: no sign of life, so his claim is stale and can be released; ana's cannot.
    expect(section(claims, `data-claim="${orphan.id}"`, '</tr>')).toContain('Release');
    expect(section(claims, `data-claim="${live.id}"`, '</tr>')).not.toContain('Release');
    const negotiation = section(html, 'data-session=', '</li>');
    expect(negotiation).toContain('<span class="kind">active</span> round 1/20');
    expect(negotiation).toContain('✓ @bob');
    expect(negotiation).toContain('… @ana');
    expect(negotiation).toMatch(/<td>api<\/td><td><strong>(rest|graphql)<\/strong>/);
    const agents = section(html, '<h2>Agents', '</div></section>');
    expect(agents).toContain('1 online');
    expect(agents).toContain('● online');
    expect(agents).toContain('&#60;b&#62;lead&#60;/b&#62;');
    expect(html).not.toMatch(/<img src=x|<script>alert|<b>lead/);
  }, 60_000);

  it('opens the plan, claims, negotiations and synthesis pages', async () => {
    const { home, first } = await busyRoom();
    const server = await startServe(home, [], OFFLINE);
    for (const [path, text] of [
      ['plan', first.id],
      ['claims', '<code>src/db</code>'],
      ['negotiations', 'round 1/20'],
      ['synthesis', 'No synthesis yet.'],
    ]) {
      const res = await fetch(`${server.url}/ui/rooms/team/${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      expect(await res.text(), path).toContain(text);
    }
  }, 60_000);
});

describe('page actions', () => {
  it('adds a task and ticks one as the operator through the plan library, and shows its error for a bad id', async () => {
    const { home, first } = await busyRoom();
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const added = await post(`${server.url}/ui/rooms/team/plan/tasks`, server.url, { text: 'review <b>it</b>', needs: first.id, back: '/ui/rooms/team/plan' });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe('/ui/rooms/team/plan');
    const done = await post(`${server.url}/ui/rooms/team/plan/done`, server.url, { id: first.id, back: 'https://evil.example/' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/ui/rooms/team');
    const listed = cli(['plan', 'tasks', '--all', '--json'], { home });
    expect(listed.code).toBe(0);
    const tasks = JSON.parse(listed.stdout) as { id: string; text: string; state: string; closed_by: string | null; needs: string[] }[];
    expect(tasks.find((t) => t.id === first.id)).toMatchObject({ state: 'done', closed_by: 'lead' });
    expect(tasks.find((t) => t.text === 'review <b>it</b>')).toMatchObject({ state: 'open', needs: [first.id] });
    expect(readFileSync(join(home, 'rooms', 'team', 'plan', 'tasks.md'), 'utf8')).toContain('done:@lead');
    const bad = await post(`${server.url}/ui/rooms/team/plan/done`, server.url, { id: 't-zzzz' });
    expect(bad.status).toBe(404);
    expect(await bad.text()).toMatch(/<p class="error" role="alert">[^<]*t-zzzz/);
    const empty = await post(`${server.url}/ui/rooms/team/plan/tasks`, server.url, { text: '' });
    expect(empty.status).toBe(400);
  }, 60_000);

  it('claims, assigns and edits a task as the operator through the plan verbs, with their errors', async () => {
    const { home, first, third } = await busyRoom();
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const html = await (await fetch(`${server.url}/ui/rooms/team/plan`)).text();
    const card = section(html, `data-id="${first.id}"`, '</li>');
    expect(card).toContain('action="/ui/rooms/team/plan/claim"');
    expect(card).toContain(`value="${escapeHtml(`migrate ${XSS}`)}"`);
    expect(card).not.toContain(XSS);
    // An owned task offers assign and edit, not claim.
    expect(section(html, `data-id="${third.id}"`, '</li>')).not.toContain('/plan/claim');
    const claimed = await post(`${server.url}/ui/rooms/team/plan/claim`, server.url, { id: first.id, back: '/ui/rooms/team/plan' });
    expect(claimed.status).toBe(303);
    expect(claimed.headers.get('location')).toBe('/ui/rooms/team/plan');
    expect((await post(`${server.url}/ui/rooms/team/plan/assign`, server.url, { id: third.id, owner: 'bob' })).status).toBe(303);
    expect((await post(`${server.url}/ui/rooms/team/plan/edit`, server.url, { id: third.id, text: 'write the <b>docs</b>' })).status).toBe(303);
    const tasks = JSON.parse(cli(['plan', 'tasks', '--all', '--json'], { home }).stdout) as { id: string; text: string; owner: string | null }[];
    expect(tasks.find((t) => t.id === first.id)).toMatchObject({ owner: 'lead' });
    expect(tasks.find((t) => t.id === third.id)).toMatchObject({ owner: 'bob', text: 'write the <b>docs</b>' });
    // Errors are the verbs' own: a task held by another (409), a bad handle or empty text (400), no such task (404).
    const taken = await post(`${server.url}/ui/rooms/team/plan/claim`, server.url, { id: third.id });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toMatch(/<p class="error" role="alert">[^<]*bob/);
    expect((await post(`${server.url}/ui/rooms/team/plan/assign`, server.url, { id: third.id, owner: '<b>x</b>' })).status).toBe(400);
    expect((await post(`${server.url}/ui/rooms/team/plan/edit`, server.url, { id: third.id, text: '' })).status).toBe(400);
    expect((await post(`${server.url}/ui/rooms/team/plan/assign`, server.url, { id: 't-zzzz', owner: 'bob' })).status).toBe(404);
    // From another site: refused, nothing changes.
    const before = readFileSync(join(home, 'rooms', 'team', 'plan', 'tasks.md'), 'utf8');
    for (const [verb, fields] of [['claim', { id: third.id }], ['assign', { id: third.id, owner: 'eve' }], ['edit', { id: third.id, text: 'pwned' }]] as const) {
      expect((await post(`${server.url}/ui/rooms/team/plan/${verb}`, 'http://evil.example', fields)).status, verb).toBe(403);
    }
    expect(readFileSync(join(home, 'rooms', 'team', 'plan', 'tasks.md'), 'utf8')).toBe(before);
  }, 60_000);

  it('refuses page actions from another site (CSRF) and changes nothing', async () => {
    const { home, first, orphan } = await busyRoom();
    const server = await startServe(home, [], OFFLINE);
    const before = readFileSync(join(home, 'rooms', 'team', 'plan', 'tasks.md'), 'utf8');
    expect((await post(`${server.url}/ui/rooms/team/plan/done`, 'http://evil.example', { id: first.id })).status).toBe(403);
    expect((await post(`${server.url}/ui/rooms/team/plan/tasks`, 'http://evil.example', { text: 'x' })).status).toBe(403);
    expect((await post(`${server.url}/ui/rooms/team/claims/release`, 'http://evil.example', { id: orphan.id })).status).toBe(403);
    expect(readFileSync(join(home, 'rooms', 'team', 'plan', 'tasks.md'), 'utf8')).toBe(before);
    expect(existsSync(join(home, 'rooms', 'team', 'claims', `${orphan.id}.md`))).toBe(true);
  }, 60_000);

  it('releases a stale claim and refuses a live one whose holder is online', async () => {
    const { home, live, orphan } = await busyRoom();
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const claimFile = (id: string) => join(home, 'rooms', 'team', 'claims', `${id}.md`);
    const refused = await post(`${server.url}/ui/rooms/team/claims/release`, server.url, { id: live.id });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toMatch(/class="error"[^>]*>claim c-[0-9a-z]+ is live until/);
    expect(existsSync(claimFile(live.id))).toBe(true);
    const released = await post(`${server.url}/ui/rooms/team/claims/release`, server.url, { id: orphan.id, back: '/ui/rooms/team/claims' });
    expect(released.status).toBe(303);
    expect(existsSync(claimFile(orphan.id))).toBe(false);
    const claims = JSON.parse(cli(['claims', '--json'], { home }).stdout) as { id: string }[];
    expect(claims.map((c) => c.id)).toEqual([live.id]);
  }, 60_000);

  it('writes a synthesis from the page and shows it sanitized', async () => {
    const home = homeWithRoom('team');
    mkdirSync(join(home, 'rooms', 'team', 'decisions'), { recursive: true });
    writeFileSync(join(home, 'rooms', 'team', 'decisions', 'db.md'), `---\nversion: 1\nupdated_by: ana\n---\nUse PostgreSQL ${XSS}\n`);
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const res = await post(`${server.url}/ui/rooms/team/synthesis`, server.url, {});
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/ui\/rooms\/team\/synthesis\?job=[0-9a-f]+$/);
    // The job runs in the server, not in the request: wait until its page says done.
    let html = '';
    for (let i = 0; i < 100 && !html.includes('data-state="done"'); i++) {
      html = await (await fetch(`${server.url}${res.headers.get('location')}`)).text();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(html).toMatch(/href="\/ui\/rooms\/team\/memory\/synthesis\/[^"]+"/);
    expect(html).toContain('Use PostgreSQL');
    expect(html).toContain('Digest for @lead');
    expect(html).not.toMatch(/<img src=x|<script>alert/);
  }, 60_000);
});

describe('digest page', () => {
  it("shows an agent's digest as a peek (its cursor does not move), escaped, with links to every agent", async () => {
    const { home, room } = await busyRoom();
    expect(cli(['room', 'send', `@ana look at ${XSS}`, '--handle', 'bob'], { home }).code).toBe(0);
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const res = await fetch(`${server.url}/ui/rooms/team/digest?handle=ana`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Digest for @ana</h1>');
    expect(html).toContain('href="/ui/rooms/team/digest?handle=ana"');
    expect(section(html, 'id="digest-text"', '</pre>')).toContain('look at');
    expect(html).not.toContain(XSS);
    expect(await readDigestCursor(room, 'ana')).toBeUndefined();
    // The same digest from the CLI does record; the page then still shows without moving it.
    expect(cli(['digest', '--handle', 'ana'], { home }).code).toBe(0);
    const recorded = await readDigestCursor(room, 'ana');
    expect(recorded).toBeDefined();
    expect((await fetch(`${server.url}/ui/rooms/team/digest?handle=ana`)).status).toBe(200);
    expect(await readDigestCursor(room, 'ana')).toEqual(recorded);
    expect((await fetch(`${server.url}/ui/rooms/team/digest?handle=${encodeURIComponent('<b>x</b>')}`)).status).toBe(400);
  }, 60_000);
});

describe('stale claims (library)', () => {
  it('a claim is stale when expired, or when its holder has no card or was not seen within the window', async () => {
    const { room, live } = await busyRoom();
    const now = new Date(live.claimed_at);
    expect(isStaleClaim(live, now.toISOString(), now)).toBe(false);
    expect(isStaleClaim(live, null, now)).toBe(true);
    expect(isStaleClaim(live, new Date(now.getTime() - 31 * 60_000).toISOString(), now)).toBe(true);
    expect(isStaleClaim({ ...live, live: false }, now.toISOString(), now)).toBe(true);
    await expect(releaseStaleClaim(room, 'lead', live.id)).rejects.toBeInstanceOf(ClaimNotStaleError);
    // Past its TTL, anyone may clear it; the holder always may.
    const later = () => new Date(Date.parse(live.expires_at) + 1000);
    expect((await releaseStaleClaim(room, 'lead', live.id, { now: later })).id).toBe(live.id);
    expect((await readPlan(room)).tasks.length).toBe(3);
  });

  it('uses the plan\'s stall window as its one rule: a stale claim and a stalled task agree, with the default window or another', async () => {
    const { room } = await busyRoom();
    const t0 = new Date();
    await registerAgent(room, 'cara', {}, () => t0);
    const [task] = await addTasks(room, 'ana', [{ text: 'index the orders', owner: 'cara' }]);
    const { claim } = await grantClaim(room, { holder: 'cara', paths: ['src/orders/'], ttl: '2h', task: task.id });
    const at = (minutes: number) => () => new Date(t0.getTime() + minutes * 60_000);
    const statusAt = async (minutes: number, stallMs?: number) => (await readPlan(room, { now: at(minutes), stallMs })).tasks.find((t) => t.id === task.id)?.status;
    // Within the default window (30 min): the task is claimed, the claim is not stale.
    expect(await statusAt(20)).toBe('claimed');
    await expect(releaseStaleClaim(room, 'lead', claim.id, { now: at(20) })).rejects.toBeInstanceOf(ClaimNotStaleError);
    // A longer window given to both: still claimed at 45 min, and the claim still refused.
    expect(await statusAt(45, 60 * 60_000)).toBe('claimed');
    await expect(releaseStaleClaim(room, 'lead', claim.id, { now: at(45), stallMs: 60 * 60_000 })).rejects.toBeInstanceOf(ClaimNotStaleError);
    // Past the default window: the task shows stalled and the claim may be released.
    expect(await statusAt(45)).toBe('stalled');
    expect((await releaseStaleClaim(room, 'lead', claim.id, { now: at(45) })).id).toBe(claim.id);
  });

  it('timeLeft says minutes, hours, or expired', () => {
    const now = new Date('2026-12-03T10:00:00Z');
    expect(timeLeft('2026-12-03T10:12:00Z', now)).toBe('12 min left');
    expect(timeLeft('2026-12-03T12:05:00Z', now)).toBe('2 h 5 min left');
    expect(timeLeft('2026-12-03T09:00:00Z', now)).toBe('expired');
  });
});
