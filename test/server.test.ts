import { request as httpRequest } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemon, stop as stopRunning } from './daemon-helpers.js';
import { cli, cliAsync, homeWithRoom, snapshot, startServe } from './helpers.js';

const TOKEN = 's3cret-token';

async function call(url: string, path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set('Authorization', `Bearer ${init.token ?? TOKEN}`);
  const response = await fetch(url + path, { ...init, headers });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body, text };
}

const json = (value: unknown, headers: Record<string, string> = {}) => ({
  body: JSON.stringify(value),
  headers: { 'Content-Type': 'application/json', ...headers },
});

/** Retries an assertion for up to 10 s: for what the daemon does a moment after a write. */
async function eventually<T>(check: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Sends a path exactly as written (fetch would normalise `..` away). */
function rawRequest(url: string, method: string, path: string, body = '{"value":"x"}'): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, method, path, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(method === 'GET' ? undefined : body);
  });
}

/** No embedding model and no network attempt unless a test asks for one: search is BM25. */
const offline = { MYCELIUM_OFFLINE: '1' };

async function served(env: Record<string, string> = {}, args: string[] = []) {
  const home = homeWithRoom('team');
  const server = await startServe(home, ['--token', TOKEN, ...args], { ...offline, ...env });
  return { home, url: server.url, roomDir: join(home, 'rooms', 'team') };
}

describe('mycelium serve', () => {
  it('refuses to bind beyond loopback without a token', () => {
    const home = homeWithRoom();
    const refused = cli(['serve', '--host', '0.0.0.0', '--port', '0'], { home });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^mycelium: refusing to serve on 0\.0\.0\.0 without a token: .*pass --token or set MYCELIUM_TOKEN\n$/);
  });

  it('needs the token everywhere but /healthz, and a 401 reveals nothing', async () => {
    const { url } = await served();
    expect((await call(url, '/healthz', { token: null })).body).toEqual({ ok: true });
    const missing = await call(url, '/rooms', { token: null });
    const wrong = await call(url, '/rooms', { token: 'nope' });
    const unknownRoom = await call(url, '/rooms/secret/memory/x', { token: 'nope' });
    for (const r of [missing, wrong, unknownRoom]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: 'unauthorized', message: 'a valid token is required: Authorization: Bearer TOKEN' });
    }
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    expect((await call(url, '/rooms')).body).toEqual({ rooms: [{ name: 'team', memories: 0, last_change: null }] });
  });

  it('creates rooms and lists them; unknown and invalid rooms are 404 and 400', async () => {
    const { url, home } = await served();
    expect((await call(url, '/rooms', { method: 'POST', ...json({ name: 'ops' }) })).status).toBe(201);
    expect((await call(url, '/rooms', { method: 'POST', ...json({ name: 'ops' }) })).status).toBe(409);
    expect((await call(url, '/rooms', { method: 'POST', ...json({ name: '../x' }) })).status).toBe(400);
    expect(existsSync(join(home, 'rooms', 'ops'))).toBe(true);
    const unknown = await call(url, '/rooms/nope/memory/a');
    expect([unknown.status, unknown.body.error]).toEqual([404, 'room_not_found']);
    expect(await rawRequest(url, 'GET', '/rooms/%2e%2e/memory/a')).toBe(400);
    expect(await rawRequest(url, 'GET', '/rooms/a%00b/memory/a')).toBe(400);
    expect((await call(url, '/rooms/nope/search', { method: 'POST', ...json({ query: 'db' }) })).status).toBe(404);
  });

  it('put, get, delete with ETag and If-Match protecting against lost updates', async () => {
    const { url, roomDir } = await served();
    const created = await call(url, '/rooms/team/memory/decisions/db', {
      method: 'PUT',
      ...json({ value: 'Use PostgreSQL', tags: ['db'] }, { 'X-Mycelium-Handle': 'ana' }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ room: 'team', key: 'decisions/db', version: 1 });
    const etag = created.headers.get('etag');
    expect(etag).toBe(`"${created.body.hash}"`);
    expect(readFileSync(join(roomDir, 'decisions', 'db.md'), 'utf8')).toMatch(/updated_by: ana[\s\S]*Use PostgreSQL$/);

    const got = await call(url, '/rooms/team/memory/decisions/db');
    expect(got.headers.get('etag')).toBe(etag);
    expect(got.body).toMatchObject({ key: 'decisions/db', value: 'Use PostgreSQL', tags: ['db'], version: 1, updated_by: 'ana' });
    expect(got.body.path).toBeUndefined();

    const updated = await call(url, '/rooms/team/memory/decisions/db', { method: 'PUT', ...json({ value: 'v2' }, { 'If-Match': etag! }) });
    expect([updated.status, updated.body.version]).toEqual([200, 2]);
    const before = snapshot(roomDir);
    const stale = await call(url, '/rooms/team/memory/decisions/db', { method: 'PUT', ...json({ value: 'lost?' }, { 'If-Match': etag! }) });
    expect([stale.status, stale.body.error]).toEqual([412, 'precondition_failed']);
    const exists = await call(url, '/rooms/team/memory/decisions/db', { method: 'PUT', ...json({ value: 'new' }, { 'If-None-Match': '*' }) });
    expect(exists.status).toBe(412);
    expect((await call(url, '/rooms/team/memory/decisions/db', { method: 'DELETE', headers: { 'If-Match': etag! } })).status).toBe(412);
    expect(snapshot(roomDir)).toEqual(before);

    const removed = await call(url, '/rooms/team/memory/decisions/db', { method: 'DELETE', headers: { 'If-Match': updated.headers.get('etag')! } });
    expect(removed.body).toEqual({ room: 'team', key: 'decisions/db', removed: true });
    expect((await call(url, '/rooms/team/memory/decisions/db')).status).toBe(404);
    expect((await call(url, '/rooms/team/memory/decisions/db', { method: 'DELETE' })).status).toBe(404);
  });

  it('stores JSON values as JSON and whole markdown files byte for byte', async () => {
    const { url, roomDir } = await served();
    await call(url, '/rooms/team/memory/ctx/deploy', { method: 'PUT', ...json({ value: { strategy: 'blue-green' } }) });
    expect((await call(url, '/rooms/team/memory/ctx/deploy')).body).toMatchObject({ format: 'json', value: { strategy: 'blue-green' } });
    const file = '---\nkey: notes/raw\nreviewer: bo\n---\n# Raw\n\nexact bytes\n';
    const put = await call(url, '/rooms/team/memory/notes/raw', { method: 'PUT', body: file, headers: { 'Content-Type': 'text/markdown' } });
    expect(put.status).toBe(201);
    expect(readFileSync(join(roomDir, 'notes', 'raw.md'), 'utf8')).toBe(file);
    const raw = await call(url, '/rooms/team/memory/notes/raw', { headers: { Accept: 'text/markdown' } });
    expect(raw.text).toBe(file);
    expect(raw.headers.get('content-type')).toMatch(/^text\/markdown/);
  });

  it('bad keys, malformed JSON and oversize bodies are 400/413 and write nothing', async () => {
    const { url, roomDir } = await served({ MYCELIUM_MAX_VALUE_BYTES: '1000' });
    const before = snapshot(roomDir);
    // Sent as written: fetch would resolve %2e%2e before sending.
    for (const path of ['%2e%2e/x', '..%2fx', 'a%00b', '.git/config', 'a//b', '%2e%2e%2f%2e%2e%2fetc/passwd', 'x/%2E%2E/%2E%2E/y']) {
      expect([path, await rawRequest(url, 'PUT', `/rooms/team/memory/${path}`)]).toEqual([path, 400]);
    }
    expect(await rawRequest(url, 'PUT', '/rooms/team/memory/../../x')).toBe(400);
    expect(await rawRequest(url, 'PUT', '/rooms/team/memory/a/../../../x')).toBe(400);
    const malformed = await call(url, '/rooms/team/memory/a', { method: 'PUT', body: '{"value": ', headers: { 'Content-Type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/json/);
    expect((await call(url, '/rooms/team/memory/a', { method: 'PUT', ...json([1, 2]) })).status).toBe(400);
    expect((await call(url, '/rooms/team/memory/a', { method: 'PUT', ...json({ nothing: 1 }) })).status).toBe(400);
    expect((await call(url, '/rooms/team/memory/a', { method: 'PUT', ...json({ value: 'x', tags: 'a' }) })).status).toBe(400);
    const big = await call(url, '/rooms/team/memory/a', { method: 'PUT', ...json({ value: 'x'.repeat(2000) }) });
    expect([big.status, big.body.error]).toEqual([413, 'value_too_large']);
    const huge = await call(url, '/rooms/team/memory/a', { method: 'PUT', ...json({ value: 'x'.repeat(200_000) }) });
    expect(huge.status).toBe(413);
    const bigRaw = await call(url, '/rooms/team/memory/a', { method: 'PUT', body: 'y'.repeat(70_000), headers: { 'Content-Type': 'text/markdown' } });
    expect(bigRaw.status).toBe(413);
    expect(snapshot(roomDir)).toEqual(before);
  });

  it('pages through listings with a cursor, never silently capping', async () => {
    const { url, home } = await served();
    for (let i = 0; i < 25; i++) writeFileSync(join(home, 'rooms', 'team', `k${String(i).padStart(2, '0')}.md`), `value ${i}`);
    const keys: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const page: any = (await call(url, `/rooms/team/memory?limit=10${cursor ? `&cursor=${cursor}` : ''}`)).body;
      keys.push(...page.memories.map((m: { key: string }) => m.key));
      cursor = page.next_cursor;
      pages++;
    }
    expect(pages).toBe(3);
    expect(keys).toEqual(Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`));
    expect((await call(url, '/rooms/team/memory?prefix=k1')).body.memories).toHaveLength(10);
    expect((await call(url, '/rooms/team/memory?limit=5000')).status).toBe(400);
    expect((await call(url, '/rooms/team/memory?cursor=!!!')).status).toBe(400);
  });

  it('serves a change feed: a snapshot from 0, then the event log with tombstones, from every source', async () => {
    const { url, home } = await served();
    await call(url, '/rooms/team/memory/a', { method: 'PUT', ...json({ value: 'one' }) });
    await call(url, '/rooms/team/memory/b', { method: 'PUT', ...json({ value: 'two' }) });
    const first = (await call(url, '/rooms/team/changes?since=0')).body;
    expect(first.changes.map((c: any) => [c.type, c.key])).toEqual([['created', 'a'], ['created', 'b']]);
    expect(first.changes[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect([first.more, first.cursor]).toEqual([false, expect.stringMatching(/^l\.\d+$/)]);

    cli(['memory', 'set', 'a', 'changed by the CLI', '--room', 'team', '--handle', 'cy'], { home });
    await call(url, '/rooms/team/memory/b', { method: 'DELETE' });
    writeFileSync(join(home, 'rooms', 'team', 'hand.md'), 'written by hand');
    // The daemon logs changes a few milliseconds after they land; the latest entry per key counts.
    const latest = await eventually(async () => {
      const page = (await call(url, `/rooms/team/changes?since=${first.cursor}&content=1`)).body;
      const byKey = Object.fromEntries(page.changes.map((c: any) => [c.key, c]));
      expect(byKey.a).toMatchObject({ type: 'updated', by: 'cy', version: 2 });
      expect(byKey.b).toMatchObject({ type: 'deleted', hash: null });
      expect(byKey.hand).toMatchObject({ type: 'created', content: 'written by hand' });
      return page;
    });
    expect(Number(latest.cursor.slice(2))).toBeGreaterThan(Number(first.cursor.slice(2)));
    const paged = (await call(url, '/rooms/team/changes?since=0&limit=1')).body;
    expect([paged.changes.length, paged.more]).toEqual([1, true]);
    const rest = (await call(url, `/rooms/team/changes?since=${paged.cursor}&limit=5`)).body;
    expect(rest.changes.map((c: any) => c.key)).toEqual(['hand']);
    expect((await call(url, '/rooms/team/changes?since=garbage')).status).toBe(400);
  });

  it('a cursor older than the bounded event log is 410: read again from 0', async () => {
    const { url } = await served({ MYCELIUM_EVENT_LOG_MAX: '3' });
    for (let i = 0; i < 8; i++) await call(url, `/rooms/team/memory/k${i}`, { method: 'PUT', ...json({ value: `v${i}` }) });
    await eventually(async () => expect((await call(url, '/rooms/team/changes?since=1')).status).toBe(410));
  });

  it('streams the same changes as server-sent events', async () => {
    const { url, home } = await served();
    const controller = new AbortController();
    const response = await fetch(`${url}/rooms/team/events`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until(/: connected/);
    await call(url, '/rooms/team/memory/x', { method: 'PUT', ...json({ value: 'over http' }) });
    await until(/"key":"x"/);
    await new Promise((r) => setTimeout(r, 100)); // x's write settles before the next one
    await cliAsync(['memory', 'set', 'y', 'from the CLI', '--room', 'team'], { home });
    await until(/"key":"y"/);
    const events = text.split('\n\n').filter((e) => e.startsWith('id:')).map((e) => JSON.parse(e.split('data: ')[1]));
    expect(events.map((e) => [e.type, e.key])).toEqual([['created', 'x'], ['created', 'y']]);
    expect(events[0]).toMatchObject({ room: 'team', version: 1, by: 'http' });
    controller.abort();
  });

  it('searches through the daemon like the CLI, and finds hand edits within moments', async () => {
    const { url, home } = await served();
    await call(url, '/rooms/team/memory/decisions/db', { method: 'PUT', ...json({ value: 'We chose PostgreSQL 16 for the main store', tags: ['db'] }) });
    await call(url, '/rooms/team/memory/notes/cooking', { method: 'PUT', ...json({ value: 'Pasta wants salted boiling water' }) });
    const found = await call(url, '/rooms/team/search', { method: 'POST', ...json({ query: 'postgresql store' }) });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ room: 'team', mode: 'bm25' });
    expect(found.body.results[0]).toMatchObject({ key: 'decisions/db', version: 1, tags: ['db'] });
    const viaCli = JSON.parse(cli(['memory', 'search', 'postgresql store', '--room', 'team', '--json'], { home, env: offline }).stdout);
    expect(found.body.results.map((r: any) => r.key)).toEqual(viaCli.results.map((r: any) => r.key));

    writeFileSync(join(home, 'rooms', 'team', 'hand.md'), 'terraform modules for the cluster');
    await eventually(async () => {
      const hand = await call(url, '/rooms/team/search', { method: 'POST', ...json({ query: 'terraform', limit: 5 }) });
      expect(hand.body.results.map((r: any) => r.key)).toEqual(['hand']);
    });
    for (const bad of [{}, { query: 5 }, { query: 'x', limit: 0 }, { query: 'x', mode: 'fuzzy' }, { query: 'x', tags: 'db' }, { query: '' }]) {
      const r = await call(url, '/rooms/team/search', { method: 'POST', ...json(bad) });
      expect([JSON.stringify(bad), r.status]).toEqual([JSON.stringify(bad), 400]);
    }
  });

  it('runs the daemon itself, or uses the one already running for the home', async () => {
    const { home, url } = await served();
    const own = JSON.parse(cli(['daemon', 'status', '--json'], { home }).stdout);
    expect(own.running).toBe(true);

    const other = homeWithRoom('team');
    const daemon = await startDaemon(other, { env: { ...offline, MYCELIUM_HOME: other } });
    try {
      const server = await startServe(other, ['--token', TOKEN], offline);
      expect(server.banner).toMatch(/\(with the running daemon\)$/);
      await call(server.url, '/rooms/team/memory/x', { method: 'PUT', ...json({ value: 'through the running daemon' }) });
      await eventually(async () => {
        const found = await call(server.url, '/rooms/team/search', { method: 'POST', ...json({ query: 'daemon' }) });
        expect(found.body.results.map((r: any) => r.key)).toEqual(['x']);
      });
      const page = (await call(server.url, '/rooms/team/changes?since=0')).body;
      expect(page.changes.map((c: any) => c.key)).toEqual(['x']);
    } finally {
      await stopRunning(daemon);
    }
    expect((await call(url, '/healthz', { token: null })).status).toBe(200);
  });

  it('rate-limits each client with 429 and Retry-After', async () => {
    const { url } = await served({}, ['--rate-limit', '5']);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(url, '/rooms')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await call(url, '/rooms');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await call(url, '/healthz', { token: null })).status).toBe(200);
  });
});
