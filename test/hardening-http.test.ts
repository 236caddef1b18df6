import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../src/server/serve.js';
import { waitFor } from './daemon-helpers.js';
import { cli, homeWithRoom, startServe } from './helpers.js';

/** A request with a Host header of our choosing (fetch would set its own). */
function send(url: string, method: string, path: string, headers: Record<string, string>, body?: string) {
  const { hostname, port } = new URL(url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest({ hostname, port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

describe('a loopback server answers only requests for localhost (DNS rebinding)', () => {
  it('refuses foreign Host names with 421 and writes nothing; localhost, 127.0.0.1 and --allow-host pass', async () => {
    const home = homeWithRoom();
    const server = await startServe(home, ['--allow-host', 'mybox.lan']);
    const port = new URL(server.url).port;
    const put = (host: string) =>
      send(server.url, 'PUT', '/rooms/team/memory/x', { Host: host, 'Content-Type': 'application/json' }, JSON.stringify({ value: host }));
    for (const host of ['evil.example', `attacker.127.0.0.1.nip.io:${port}`, `localhost.evil.example:${port}`, `localhost:${Number(port) + 1}`]) {
      const refused = await put(host);
      expect([host, refused.status]).toEqual([host, 421]);
      expect(JSON.parse(refused.body).error).toBe('host_not_allowed');
      expect((await send(server.url, 'GET', '/rooms/team/memory', { Host: host })).status).toBe(421);
    }
    expect(existsSync(join(home, 'rooms', 'team', 'x.md'))).toBe(false);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'localhost', `mybox.lan:${port}`]) {
      expect([host, (await put(host)).status]).toEqual([host, expect.any(Number)]);
      expect((await send(server.url, 'GET', '/rooms/team/memory/x', { Host: host })).status).toBe(200);
    }
  });
});

describe('request bodies', () => {
  it('a JSON string body is refused like numbers and arrays (400), and writes no file', async () => {
    const home = homeWithRoom();
    const server = await startServe(home);
    for (const body of ['"just a string"', '42', '[1,2]']) {
      const res = await fetch(`${server.url}/rooms/team/memory/s`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body });
      expect([body, res.status]).toEqual([body, 400]);
    }
    expect(existsSync(join(home, 'rooms', 'team', 's.md'))).toBe(false);
  });

  it('a 20k- or 50k-deep JSON body is a 400, and the server keeps answering', async () => {
    const home = homeWithRoom();
    const server = await startServe(home);
    for (const depth of [300, 20_000, 50_000]) {
      const body = `{"value":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const res = await fetch(`${server.url}/rooms/team/memory/deep`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body });
      expect([depth, res.status]).toEqual([depth, 400]);
      expect((await res.json()).message).toMatch(/nests deeper than 256 levels/);
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const fine = `{"value":${'['.repeat(100)}${']'.repeat(100)}}`;
    expect((await fetch(`${server.url}/rooms/team/memory/ok`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: fine })).status).toBe(201);
  });

  it('a 300-character key segment is a 400 that shows no path', async () => {
    const home = homeWithRoom();
    const server = await startServe(home);
    const res = await fetch(`${server.url}/rooms/team/memory/${'x'.repeat(300)}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: '{"value":"v"}',
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).toMatch(/limit is 200/);
    expect(text).not.toContain(home);
    const set = cli(['memory', 'set', 'y'.repeat(300), 'v'], { home });
    expect(set.code).toBe(2);
  });
});

describe('limits that keep the server up', () => {
  it('a flood of bad tokens from an address never locks the token holder there out', async () => {
    const home = homeWithRoom();
    const server = await startServe(home, ['--token', 'good-token', '--rate-limit', '20']);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      statuses.push((await fetch(`${server.url}/rooms`, { headers: { Authorization: 'Bearer wrong' } })).status);
    }
    expect(statuses).toContain(429);
    const good = await fetch(`${server.url}/rooms`, { headers: { Authorization: 'Bearer good-token' } });
    expect(good.status).toBe(200);
  });

  it('half-sent requests are closed after the request timeout, and a real PUT gets through', async () => {
    const home = homeWithRoom();
    const server = await startServer({ home, host: '127.0.0.1', port: 0, requestTimeoutMs: 1_000 });
    closers.push(server.close);
    const { port } = new URL(server.url);
    const sockets: Socket[] = [];
    const closed = new Set<Socket>();
    for (let i = 0; i < 40; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      socket.on('close', () => closed.add(socket));
      socket.resume(); // read the server's 408 and its end of the connection (a paused socket never sees 'close')
      socket.write(`PUT /rooms/team/memory/half${i} HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"value":`);
      sockets.push(socket);
    }
    await waitFor(() => closed.size === sockets.length, 60_000, 'the server to close every half-sent request');
    const res = await fetch(`${server.url}/rooms/team/memory/real`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"value":"v"}' });
    expect(res.status).toBe(201);
    expect(readdirSync(join(home, 'rooms', 'team'))).toEqual(['real.md']);
  });

  it('serve cleans the temp files of writers that died mid-write, and keeps a live one', async () => {
    const home = homeWithRoom();
    const room = join(home, 'rooms', 'team');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(room, `.x.md.${dead}.0123abcd.tmp`), 'torn');
    writeFileSync(join(room, `.y.md.${process.pid}.0123abcd.tmp`), 'being written');
    await startServe(home);
    expect(readdirSync(room).sort()).toEqual([`.y.md.${process.pid}.0123abcd.tmp`]);
  });
});

describe('serve flags', () => {
  it('announces the address it binds, and refuses --port 99999 with exit 2', async () => {
    const home = homeWithRoom();
    const wide = await startServe(home, ['--host', '0.0.0.0', '--token', 't']);
    expect(wide.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    const bad = cli(['serve', '--port', '99999'], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--port must be a whole number from 0 to 65535/);
  });
});
