/**
 * The web page's live parts fetched one at a time (GET /ui/rooms/ROOM/live), and login sessions the
 * server keeps, so Log out voids that one session (issue 16) — against a real `mycelium serve`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerAgent } from '../src/coord/agents.js';
import { grantClaim } from '../src/coord/claims/store.js';
import { addTasks } from '../src/coord/plan/store.js';
import { webSessionsPath } from '../src/home-paths.js';
import { Room } from '../src/room.js';
import { homeWithRoom, startServe } from './helpers.js';

const OFFLINE = { MYCELIUM_OFFLINE: '1' };
const XSS = '<img src=x onerror=alert(1)>';
const TOKEN = 'live-test-token-123';

describe('live parts', () => {
  it('answers only the parts asked for, each as the full page shows it, escaped', async () => {
    const home = homeWithRoom('team');
    const room = await Room.open(home, 'team');
    await registerAgent(room, 'ana', { role: XSS });
    await addTasks(room, 'ana', [{ text: `write ${XSS}` }]);
    await grantClaim(room, { holder: 'ana', paths: ['src/<b>x</b>/'], ttl: '1h' });
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const live = (parts: string, page: string) => fetch(`${server.url}/ui/rooms/team/live?parts=${parts}&page=${encodeURIComponent(page)}`);

    const board = await live('plan-board', '/ui/rooms/team');
    expect(board.status).toBe(200);
    expect(board.headers.get('content-security-policy')).toContain("script-src 'self'");
    const boardHtml = await board.text();
    expect(boardHtml).toContain('id="plan-board"');
    expect(boardHtml).not.toMatch(/id="claims-card"|id="agents-card"|id="negotiations-card"|<html/);
    expect(boardHtml).not.toContain(XSS);
    expect(boardHtml).toContain('&#60;img src=x onerror=alert(1)&#62;');

    // Byte for byte what the page itself shows, for the room page and for a page of its own.
    const roomPage = await (await fetch(`${server.url}/ui/rooms/team`)).text();
    expect(roomPage).toContain(boardHtml);
    const both = await (await live('claims-card,agents-card', '/ui/rooms/team')).text();
    for (const part of both.split('\n')) expect(roomPage).toContain(part);
    expect(both).toContain('id="claims-card"');
    expect(both).toContain('id="agents-card"');
    expect(both).not.toContain('<b>x</b>');
    const planPage = await (await fetch(`${server.url}/ui/rooms/team/plan`)).text();
    expect(planPage).toContain(await (await live('plan-board', '/ui/rooms/team/plan')).text());
    const claimsPage = await (await fetch(`${server.url}/ui/rooms/team/claims`)).text();
    expect(claimsPage).toContain(await (await live('claims-card', '/ui/rooms/team/claims')).text());
    const sessions = await (await live('negotiations-card', '/ui/rooms/team/negotiations?before=zzz')).text();
    expect(sessions).toContain('id="negotiations-card"');

    // A page of another site or a made-up path is the room page's variant: forms go back to the room.
    expect(await (await live('plan-board', 'https://evil.example/x')).text()).toBe(boardHtml);

    const none = await live('nothing', '/ui/rooms/team');
    expect(none.status).toBe(400);
    expect(await none.text()).toMatch(/plan-board/);
    expect((await fetch(`${server.url}/ui/rooms/nope/live?parts=plan-board`)).status).toBe(404);
  }, 60_000);

  it('is behind the token gate like every page', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, ['--token', TOKEN], OFFLINE);
    const res = await fetch(`${server.url}/ui/rooms/team/live?parts=plan-board`);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('plan-board');
  }, 30_000);
});

describe('login sessions the server keeps', () => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  async function login(url: string): Promise<string> {
    const res = await fetch(`${url}/ui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: url },
      body: form({ token: TOKEN, next: '/ui' }),
    });
    expect(res.status).toBe(303);
    return (res.headers.get('set-cookie') ?? '').split(';')[0];
  }
  const logout = (url: string, cookie: string) =>
    fetch(`${url}/ui/logout`, { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, Origin: url, 'Content-Type': 'application/x-www-form-urlencoded' }, body: '' });
  const status = async (url: string, cookie: string) => (await fetch(`${url}/ui`, { headers: { Cookie: cookie } })).status;

  it('log out voids that session on the server, even for a kept copy of the cookie; other sessions go on', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, ['--token', TOKEN], OFFLINE);
    const first = await login(server.url);
    const second = await login(server.url);
    expect(first).not.toBe(second);
    expect(await status(server.url, first)).toBe(200);
    expect(await status(server.url, second)).toBe(200);
    // The file holds hashes, never a cookie or the token.
    const stored = readFileSync(webSessionsPath(home), 'utf8');
    expect(stored).not.toContain(first.split('=')[1]);
    expect(stored).not.toContain(TOKEN);

    // Log out from another site is refused (CSRF) and ends nothing.
    const cross = await fetch(`${server.url}/ui/logout`, { method: 'POST', redirect: 'manual', headers: { Cookie: first, Origin: 'http://evil.example' } });
    expect(cross.status).toBe(403);
    expect(await status(server.url, first)).toBe(200);

    const out = await logout(server.url, first);
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    // The browser drops the cookie; a copy kept elsewhere no longer opens anything.
    expect(await status(server.url, first)).toBe(401);
    expect((await fetch(`${server.url}/rooms/team/events`, { headers: { Cookie: first } })).status).toBe(401);
    expect(await status(server.url, second)).toBe(200);
  }, 60_000);

  it('sessions survive a restart, end with a changed token, and a broken file voids them (log in again)', async () => {
    const home = homeWithRoom('team');
    let server = await startServe(home, ['--token', TOKEN], OFFLINE);
    const cookie = await login(server.url);
    const loggedOut = await login(server.url);
    await logout(server.url, loggedOut);
    await server.stop();
    server = await startServe(home, ['--token', TOKEN], OFFLINE);
    expect(await status(server.url, cookie)).toBe(200);
    expect(await status(server.url, loggedOut)).toBe(401);
    await server.stop();
    server = await startServe(home, ['--token', `${TOKEN}-new`], OFFLINE);
    expect(await status(server.url, cookie)).toBe(401);
    await server.stop();
    server = await startServe(home, ['--token', TOKEN], OFFLINE);
    expect(await status(server.url, cookie)).toBe(200);
    // Another server of the home (or a person) rewrites the file: read again, never a crash.
    writeFileSync(webSessionsPath(home), '{not json');
    expect(await status(server.url, cookie)).toBe(401);
    expect(await status(server.url, await login(server.url))).toBe(200);
    expect(existsSync(join(home, 'server'))).toBe(true);
  }, 60_000);
});
