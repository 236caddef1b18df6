import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/server/web/html.js';
import { cli, homeWithRoom, startServe } from './helpers.js';

const TOKEN = 'web-token';

describe('web pages (issue 16, first increment)', () => {
  it('lists rooms with a strict CSP and sits behind the token gate', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, ['--token', TOKEN], { MYCELIUM_OFFLINE: '1' });
    const denied = await fetch(`${server.url}/ui`);
    expect(denied.status).toBe(401);
    const res = await fetch(`${server.url}/ui`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await res.text();
    expect(html).toContain('<a href="/ui/rooms/team">team</a>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain(TOKEN);
  }, 30_000);
});

describe('room page', () => {
  it('lists the memory keys', async () => {
    const home = homeWithRoom('team');
    expect(cli(['memory', 'set', 'decisions/db', 'Use PostgreSQL'], { home }).code).toBe(0);
    const server = await startServe(home, [], { MYCELIUM_OFFLINE: '1' });
    const html = await (await fetch(`${server.url}/ui/rooms/team`)).text();
    expect(html).toContain('<li>decisions/db</li>');
    expect(html).toContain('<h1>team</h1>');
  }, 30_000);
});

describe('escapeHtml', () => {
  it('turns markup and quotes into inert entities', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&\``)).toBe('&#60;img src=x onerror=&#34;alert(&#39;1&#39;)&#34;&#62;&#38;&#96;');
  });
});
