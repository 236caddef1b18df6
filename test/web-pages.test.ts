import { request as httpRequest } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/server/web/html.js';
import { renderMarkdown } from '../src/server/web/markdown.js';
import { FULL_TREE_LIMIT, renderTree } from '../src/server/web/tree.js';
import { cli, homeWithRoom, startServe } from './helpers.js';
import { waitFor } from './daemon-helpers.js';

const TOKEN = 'web-token';
const OFFLINE = { MYCELIUM_OFFLINE: '1' };

/** A raw HTTP request, so a test can send any Host header (fetch fixes it to the URL's). */
function rawGet(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

describe('rooms list', () => {
  it('lists rooms with a strict CSP and sits behind the token gate', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, ['--token', TOKEN], OFFLINE);
    const denied = await fetch(`${server.url}/ui`);
    expect(denied.status).toBe(401);
    expect(await denied.text()).toContain('action="/ui/login"');
    const res = await fetch(`${server.url}/ui`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await res.text();
    expect(html).toContain('<a href="/ui/rooms/team">team</a>');
    expect(html).not.toContain(TOKEN);
  }, 30_000);

  it('counts memories from the daemon\'s known state, follows writes, and lists a room the daemon has not picked up yet', async () => {
    const home = homeWithRoom('team');
    expect(cli(['memory', 'set', 'decisions/db', 'Use PostgreSQL'], { home }).code).toBe(0);
    const server = await startServe(home, [], OFFLINE);
    const row = (html: string, room: string) => html.match(new RegExp(`<tr><td><a href="/ui/rooms/${room}">${room}</a></td><td>(\\d+)</td><td>(\\d+)</td><td>([^<]*)</td></tr>`));
    const first = await waitFor(async () => row(await (await fetch(`${server.url}/ui`)).text(), 'team'), 15_000, 'the team row');
    expect(first[1]).toBe('1');
    expect(first[3]).not.toBe('');
    expect(cli(['memory', 'set', 'work/next', 'Ship it'], { home }).code).toBe(0);
    await waitFor(async () => row(await (await fetch(`${server.url}/ui`)).text(), 'team')?.[1] === '2', 15_000, 'the count after a write');
    // A room made behind the daemon's back, listed before (or after) the daemon picks it up.
    mkdirSync(join(home, 'rooms', 'late'));
    writeFileSync(join(home, 'rooms', 'late', 'hello.md'), '---\nversion: 1\n---\nhello\n');
    await waitFor(async () => row(await (await fetch(`${server.url}/ui`)).text(), 'late')?.[1] === '1', 15_000, 'the late row with its memory');
  }, 60_000);
});

describe('room page', () => {
  it('shows the memory tree, the search box, the feed and the send form', async () => {
    const home = homeWithRoom('team');
    expect(cli(['memory', 'set', 'decisions/db', 'Use PostgreSQL'], { home }).code).toBe(0);
    const server = await startServe(home, [], OFFLINE);
    const html = await (await fetch(`${server.url}/ui/rooms/team`)).text();
    expect(html).toContain('<summary>decisions/');
    expect(html).toContain('<a href="/ui/rooms/team/memory/decisions/db">db</a>');
    expect(html).toContain('<h1>team</h1>');
    expect(html).toContain('id="feed"');
    expect(html).toContain('action="/ui/rooms/team/search"');
    expect(html).toContain('action="/ui/rooms/team/messages"');
  }, 30_000);

  it('shows one folder of the room with ?under=, and a big room one folder level at a time', async () => {
    const home = homeWithRoom('team');
    expect(cli(['memory', 'set', 'decisions/db', 'Use PostgreSQL'], { home }).code).toBe(0);
    expect(cli(['memory', 'set', 'notes/lunch', 'Pizza'], { home }).code).toBe(0);
    const server = await startServe(home, [], OFFLINE);
    const html = await (await fetch(`${server.url}/ui/rooms/team?under=decisions/`)).text();
    const tree = /<ul class="tree">.*?<\/section>/s.exec(html)?.[0] ?? '';
    expect(tree).toContain('href="/ui/rooms/team/memory/decisions/db"');
    expect(tree).not.toContain('notes/lunch');
    expect((await fetch(`${server.url}/ui/rooms/team?under=${encodeURIComponent('../x')}`)).status).toBe(400);
    const keys = Array.from({ length: FULL_TREE_LIMIT + 1 }, (_, i) => `area-${i % 3}/deep/note-${i}`);
    const big = renderTree('team', keys);
    expect(big).toContain('<a href="/ui/rooms/team?under=area-0%2F">area-0/</a>');
    expect(big).not.toContain('note-1"');
    const folder = renderTree('team', keys, 'area-1/deep/');
    expect(folder).toContain('href="/ui/rooms/team/memory/area-1/deep/note-1"');
    expect(folder).toContain('?under=area-1%2F">↑ up</a>');
  }, 30_000);

  it('serves its assets with long cache headers from a content-named path', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, ['--token', TOKEN], OFFLINE);
    const login = await (await fetch(`${server.url}/ui/login`)).text();
    const css = /href="(\/ui\/assets\/[0-9a-f]+\/style\.css)"/.exec(login);
    expect(css).not.toBeNull();
    const res = await fetch(server.url + css![1]); // no token: assets are public
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(res.headers.get('content-type')).toMatch(/^text\/css/);
    expect((await fetch(`${server.url}/ui/assets/000000000000/style.css`)).status).toBe(404);
  }, 30_000);
});

describe('memory viewer', () => {
  it('renders markdown, the frontmatter as a table, and links the raw file', async () => {
    const home = homeWithRoom('team');
    expect(cli(['memory', 'set', 'notes/plan', '# Plan\n\n- **first** step', '--tags', 'alpha,beta', '--handle', 'ana'], { home }).code).toBe(0);
    const server = await startServe(home, [], OFFLINE);
    const html = await (await fetch(`${server.url}/ui/rooms/team/memory/notes/plan`)).text();
    expect(html).toContain('<h1>Plan</h1>');
    expect(html).toContain('<strong>first</strong>');
    expect(html).toContain('<span class="tag">alpha</span>');
    expect(html).toMatch(/by ana/);
    expect(html).toContain('href="/ui/rooms/team/raw/notes/plan"');
    const raw = await fetch(`${server.url}/ui/rooms/team/raw/notes/plan`);
    expect(raw.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(raw.headers.get('content-security-policy')).toContain('sandbox');
    expect(await raw.text()).toMatch(/^---\n[\s\S]*updated_by: ana[\s\S]*# Plan/);
  }, 30_000);

  it('renders XSS payloads in a body, handle, tag and frontmatter inert (keys cannot hold markup at all)', async () => {
    const home = homeWithRoom('team');
    expect(cli(['memory', 'set', 'evil/"onmouseover=alert(4)', 'x'], { home }).code).toBe(2);
    // Written by hand, as a hostile agent could: every field carries markup.
    const file = [
      '---',
      'version: 1',
      'updated_by: "<script>alert(5)</script>"',
      'created_by: "<img src=x onerror=alert(6)>"',
      'tags: ["<b>t</b>", "\\"><svg onload=alert(7)>"]',
      '"<i>field</i>": "<iframe src=javascript:alert(8)>"',
      '---',
      '<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))',
      '',
    ].join('\n');
    mkdirSync(join(home, 'rooms', 'team', 'evil'), { recursive: true });
    writeFileSync(join(home, 'rooms', 'team', 'evil', 'one.md'), file);
    const server = await startServe(home, [], OFFLINE);
    const html = await (await fetch(`${server.url}/ui/rooms/team/memory/evil/one`)).text();
    expect(html).not.toMatch(/<script>alert|<img|<svg|<iframe|<b>t|<i>field|href="javascript/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&#60;script&#62;alert(5)');
  }, 30_000);

  it('answers 404 for a memory that is not there', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, [], OFFLINE);
    expect((await fetch(`${server.url}/ui/rooms/team/memory/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/ui/rooms/nope`)).status).toBe(404);
  }, 30_000);
});

describe('search page', () => {
  it('runs the library search and shows the mode and scores', async () => {
    const home = homeWithRoom('team');
    expect(cli(['memory', 'set', 'decisions/db', 'We chose PostgreSQL for the orders service'], { home }).code).toBe(0);
    expect(cli(['memory', 'set', 'notes/lunch', 'Pizza on friday'], { home }).code).toBe(0);
    const server = await startServe(home, [], OFFLINE);
    const html = await (await fetch(`${server.url}/ui/rooms/team/search?q=postgresql&mode=bm25`)).text();
    expect(html).toContain('<span class="mode">bm25</span>');
    expect(html).toContain('href="/ui/rooms/team/memory/decisions/db"');
    expect(html).not.toContain('notes/lunch');
    expect(html).toMatch(/<span class="score">\d+\.\d{3}<\/span>/);
  }, 30_000);
});

describe('messages', () => {
  it('sends a message as the operator handle from the form, and lists it escaped', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const res = await fetch(`${server.url}/ui/rooms/team/messages`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
      body: form({ text: 'ship it <script>alert(1)</script> @ana', to: '' }),
    });
    expect(res.status).toBe(303);
    const listed = cli(['room', 'messages', '--json'], { home });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('"from": "lead"');
    expect(listed.stdout).toContain('"ana"');
    const html = await (await fetch(`${server.url}/ui/rooms/team/messages`)).text();
    expect(html).toContain('ship it &#60;script&#62;alert(1)&#60;/script&#62; @ana');
    expect(html).not.toContain('<script>alert');
  }, 30_000);

  it('shows the library error for an empty message', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const res = await fetch(`${server.url}/ui/rooms/team/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
      body: form({ text: '' }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('class="error"');
  }, 30_000);
});

describe('security', () => {
  it('refuses a Host that is not localhost or the bound address (DNS rebinding)', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, [], OFFLINE);
    const port = new URL(server.url).port;
    const rebound = await rawGet(`${server.url}/ui`, `evil.example:${port}`);
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body).error).toBe('host_not_allowed');
    expect((await rawGet(`${server.url}/ui`, `localhost:${port}`)).status).toBe(200);
    expect((await rawGet(`${server.url}/ui`, `127.0.0.1:${port}`)).status).toBe(200);
  }, 30_000);

  it('refuses a cross-site form post (CSRF) and writes nothing', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, [], OFFLINE);
    const res = await fetch(`${server.url}/ui/rooms/team/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example' },
      body: form({ text: 'hi' }),
    });
    expect(res.status).toBe(403);
    expect((await res.json()).error).toBe('cross_origin');
    const noOrigin = await fetch(`${server.url}/ui/rooms/team/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ text: 'hi' }),
    });
    expect(noOrigin.status).toBe(403);
    expect(JSON.parse(cli(['room', 'messages', '--json'], { home }).stdout || '[]')).toHaveLength(0);
  }, 30_000);

  it('logs in with the token for an HttpOnly SameSite=Strict cookie that opens pages and the event stream', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, ['--token', TOKEN], OFFLINE);
    const wrong = await fetch(`${server.url}/ui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
      body: form({ token: 'nope', next: '/ui/rooms/team' }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const login = await fetch(`${server.url}/ui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.url },
      body: form({ token: TOKEN, next: '/ui/rooms/team' }),
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/ui/rooms/team');
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0];
    const page = await fetch(`${server.url}/ui/rooms/team`, { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain(TOKEN);
    const events = await fetch(`${server.url}/rooms/team/events`, { headers: { Cookie: cookie } });
    expect(events.status).toBe(200);
    await events.body?.cancel();
    expect((await fetch(`${server.url}/ui/rooms/team`, { headers: { Cookie: 'mycelium_session=forged' } })).status).toBe(401);
    // A cookie-borne write without an Origin is refused: only the page itself may post with the cookie.
    const bare = await fetch(`${server.url}/ui/rooms/team/messages`, {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({ text: 'hi' }),
    });
    expect(bare.status).toBe(403);
  }, 30_000);

  it('sends the login only to pages of ours', async () => {
    const { safeNext } = await import('../src/server/web/session.js');
    expect(safeNext('/ui/rooms/team')).toBe('/ui/rooms/team');
    expect(safeNext('//evil.example/ui')).toBe('/ui');
    expect(safeNext('/ui//evil.example')).toBe('/ui');
    expect(safeNext('https://evil.example')).toBe('/ui');
  });
});

describe('escaping and sanitizing', () => {
  it('escapeHtml turns markup and quotes into inert entities', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&\``)).toBe('&#60;img src=x onerror=&#34;alert(&#39;1&#39;)&#34;&#62;&#38;&#96;');
  });

  it('renderMarkdown keeps formatting and drops scripts, handlers and script links', () => {
    const html = renderMarkdown('**b** <script>x()</script> [a](javascript:alert(1)) [ok](https://example.com) ![i](x" onerror="y)');
    expect(html).toContain('<strong>b</strong>');
    expect(html).toContain('href="https://example.com"');
    expect(html).not.toMatch(/<script|href="javascript|<img[^>]*onerror/);
  });
});
