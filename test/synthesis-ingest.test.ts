import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, waitFor } from './daemon-helpers.js';
import { cli, cliAsync, cliPath, homeWithRoom, startServe, tempDir } from './helpers.js';

const SECRET = 'tok-very-secret-123';

interface Received {
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A real knowledge-ingest receiver on 127.0.0.1; `answer` decides each response (or stalls). */
class Receiver {
  readonly received: Received[] = [];
  answer: (n: number) => number | 'stall' = () => 200;
  private server!: Server;
  private stalled: ServerResponse[] = [];
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: JSON.parse(text) });
        const answer = this.answer(this.received.length);
        if (answer === 'stall') return void this.stalled.push(res);
        res.writeHead(answer, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    receivers.push(this);
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/ingest`;
  }

  async stop(): Promise<void> {
    for (const res of this.stalled) res.destroy();
    this.stalled = [];
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const receivers: Receiver[] = [];
afterEach(async () => {
  while (receivers.length > 0) await receivers.pop()!.stop().catch(() => {});
});

function configure(home: string, url: string, extra = ''): void {
  writeFileSync(
    join(home, 'config.toml'),
    `[rooms]\nactive = "team"\n\n[knowledge_ingest]\nenabled = true\nurl = "${url}"\ntoken_env = "INGEST_TOKEN"\nmin_content_chars = 8\n${extra}\n[server]\nworkspace_id = "ws-1"\n`,
  );
}

const env = { INGEST_TOKEN: SECRET, MYCELIUM_INGEST_RETRY_BASE_MS: '50', MYCELIUM_INGEST_TIMEOUT_MS: '800', MYCELIUM_MAS_ID: 'mas-7' };

function set(home: string, key: string, value: string, extraEnv: Record<string, string> = {}) {
  const out = cli(['memory', 'set', '--room', 'team', '--handle', 'ana', key, value], { home, env: { ...env, ...extraEnv } });
  expect(out.code, out.stderr).toBe(0);
  return out;
}

function logLines(home: string): { outcome: string; key: string; reason?: string; status?: number }[] {
  return JSON.parse(cli(['ingest', 'log', '--limit', '100', '--json'], { home, env }).stdout);
}

function outbox(home: string): string[] {
  const dir = join(home, 'ingest', 'outbox');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json')) : [];
}

/** Runs `ingest flush` until `done` holds (each pass delivers what is due; backoff is 50 ms doubling). */
async function flushUntil(home: string, done: () => boolean, what: string): Promise<void> {
  // cliAsync: the receiver runs in this process, so a blocking spawn would stall it.
  await waitFor(async () => {
    if (done()) return true;
    await cliAsync(['ingest', 'flush'], { home, env });
    return done();
  }, 60_000, what);
}

describe('knowledge-ingest forwarder', () => {
  it('delivers a memory set once, with the bearer token, idempotency key and ids; the token is written nowhere', async () => {
    const receiver = await new Receiver().start();
    const home = homeWithRoom();
    configure(home, receiver.url);
    set(home, 'decisions/db', 'Use SQLite for the index, not Postgres');
    await waitFor(() => receiver.received.length === 1 && outbox(home).length === 0, 30_000, 'the detached flush to deliver');
    const [got] = receiver.received;
    expect(got.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(got.headers['idempotency-key']).toBe(got.body.idempotency_key);
    expect(got.body).toMatchObject({ kind: 'memory', room: 'team', key: 'decisions/db', content: 'Use SQLite for the index, not Postgres', by: 'ana', workspace_id: 'ws-1', mas_id: 'mas-7' });
    expect(logLines(home).map((l) => l.outcome)).toEqual(['queued', 'ok']);
    const stats = JSON.parse(cli(['ingest', 'stats', '--json'], { home, env }).stdout);
    expect(stats).toMatchObject({ enabled: true, url: receiver.url, pending: 0, outcomes: { queued: 1, ok: 1 } });
    expect(cli(['ingest', 'stats'], { home, env }).stdout).toContain('attempts: queued 1, ok 1');
    for (const file of ['config.toml', join('ingest', 'log.jsonl')]) expect(readFileSync(join(home, file), 'utf8')).not.toContain(SECRET);

    // a room message is forwarded too
    expect(cli(['room', 'send', '--room', 'team', '--handle', 'bo', 'the parser is merged, please review'], { home, env }).code).toBe(0);
    await waitFor(() => receiver.received.length === 2, 30_000, 'the message');
    expect(receiver.received[1].body).toMatchObject({ kind: 'message', by: 'bo', content: 'the parser is merged, please review' });
  });

  it('skips identical payloads in the dedupe window, short content, agent notes and hand edits; refuses oversize payloads', async () => {
    const receiver = await new Receiver().start();
    const home = homeWithRoom();
    configure(home, receiver.url, 'max_input_tokens = 20\n');
    set(home, 'work/a', 'the same long enough text');
    set(home, 'work/a', 'the same long enough text');
    set(home, 'work/b', 'tiny');
    set(home, 'agents/ana/notes', 'my private notes on the work');
    const big = 'x'.repeat(200);
    set(home, 'work/big', big);
    mkdirSync(join(home, 'rooms', 'team', 'status'), { recursive: true });
    writeFileSync(join(home, 'rooms', 'team', 'status', 'hand.md'), 'edited by hand, never forwarded\n');
    await flushUntil(home, () => outbox(home).length === 0 && receiver.received.length >= 1, 'the one delivery');
    // One payload (a blocked test process may make a try time out and be retried: same key).
    expect([...new Set(receiver.received.map((r) => `${r.body.key} ${r.body.idempotency_key}`))]).toHaveLength(1);
    expect(receiver.received[0].body.key).toBe('work/a');
    const lines = logLines(home);
    expect(lines.filter((l) => l.key === 'work/a' && l.outcome !== 'error').map((l) => l.outcome)).toEqual(['queued', 'deduped', 'ok']);
    expect(lines.find((l) => l.key === 'work/b')).toMatchObject({ outcome: 'skipped' });
    expect(lines.find((l) => l.key === 'agents/ana/notes')).toMatchObject({ outcome: 'skipped', reason: 'agent notes are private' });
    expect(lines.find((l) => l.key === 'work/big')).toMatchObject({ outcome: 'refused' });
    expect(lines.find((l) => l.key === 'work/big')?.reason).toContain('max_input_tokens (20)');
    expect(lines.some((l) => l.key === 'status/hand')).toBe(false);
    // the refused write itself is kept whole
    expect(cli(['memory', 'get', '--room', 'team', 'work/big'], { home }).stdout).toBe(big);
  });

  it('MYCELIUM_INGEST_ENABLED=0 is the kill switch: logged as disabled, nothing queued or sent', async () => {
    const receiver = await new Receiver().start();
    const home = homeWithRoom();
    configure(home, receiver.url);
    set(home, 'work/a', 'long enough to be forwarded', { MYCELIUM_INGEST_ENABLED: '0' });
    expect(outbox(home)).toEqual([]);
    expect(logLines(home).map((l) => l.outcome)).toEqual(['disabled']);
    expect(JSON.parse(cli(['ingest', 'stats', '--json'], { home, env: { ...env, MYCELIUM_INGEST_ENABLED: '0' } }).stdout).enabled).toBe(false);
    expect(receiver.received).toEqual([]);
    // a bad setting is a warning on the write (exit 0, the memory is written), and exit 2 on ingest stats
    const bad = cli(['memory', 'set', '--room', 'team', 'work/b', 'still written'], { home, env: { ...env, MYCELIUM_INGEST_MAX_INPUT_TOKENS: 'lots' } });
    expect(bad.code).toBe(0);
    expect(bad.stderr).toContain('max_input_tokens must be a whole number');
    expect(cli(['ingest', 'stats'], { home, env: { ...env, MYCELIUM_INGEST_MAX_INPUT_TOKENS: 'lots' } }).code).toBe(2);
  });

  it('receiver down, then up: nothing lost, delivered once', async () => {
    const probe = await new Receiver().start();
    const port = probe.port;
    await probe.stop();
    receivers.pop();
    const home = homeWithRoom();
    configure(home, `http://127.0.0.1:${port}/ingest`);
    set(home, 'work/a', 'written while the receiver is down');
    await waitFor(() => logLines(home).some((l) => l.outcome === 'error'), 30_000, 'a failed attempt');
    expect(outbox(home)).toHaveLength(1);
    expect(logLines(home).find((l) => l.outcome === 'error')?.reason).toContain('cannot reach the receiver');

    const receiver = await new Receiver().start(port);
    await flushUntil(home, () => outbox(home).length === 0, 'the delivery once the receiver is up');
    await cliAsync(['ingest', 'flush'], { home, env });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].body.content).toBe('written while the receiver is down');
  });

  it('500s and timeouts are retried with the same idempotency key until delivered', async () => {
    const receiver = await new Receiver().start();
    receiver.answer = (n) => (n <= 2 ? 500 : n === 3 ? 'stall' : 200);
    const home = homeWithRoom();
    configure(home, receiver.url);
    set(home, 'work/a', 'retried until the receiver takes it');
    await flushUntil(home, () => outbox(home).length === 0, 'delivery after 500s and a timeout');
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.body.idempotency_key)).size).toBe(1);
    const errors = logLines(home).filter((l) => l.outcome === 'error');
    expect(errors.slice(0, 2).map((l) => l.status)).toEqual([500, 500]);
    expect(errors[2].reason).toContain('no answer within 800 ms');
    expect(logLines(home).at(-1)?.outcome).toBe('ok');
  });

  it('a stalled receiver does not hold up the write; the daemon delivers once it answers', async () => {
    const receiver = await new Receiver().start();
    let stall = true;
    receiver.answer = () => (stall ? 'stall' : 200);
    const home = homeWithRoom();
    configure(home, receiver.url);
    await startDaemon(home, { env });
    const out = cli(['memory', 'set', '--room', 'team', '--json', 'work/a', 'written while the receiver stalls'], { home, env });
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ key: 'work/a', version: 1 });
    await waitFor(() => receiver.received.length >= 1, 30_000, 'the daemon to try');
    stall = false;
    await waitFor(() => outbox(home).length === 0, 30_000, 'the daemon to deliver');
    expect(new Set(receiver.received.map((r) => r.body.idempotency_key)).size).toBe(1);
    expect(logLines(home).at(-1)?.outcome).toBe('ok');
  });

  it('memory set and room send load no synthesis or delivery code, even with a trigger and the forwarder on', async () => {
    const receiver = await new Receiver().start();
    const home = homeWithRoom();
    configure(home, receiver.url);
    expect(cli(['room', 'trigger', 'set', '--room', 'team', 'threshold:50'], { home, env }).code).toBe(0);
    const loaded = (args: string[]) => {
      const trace = join(tempDir(), 'imports.txt'); // one per command: an earlier command's detached flush may still be loading
      writeFileSync(trace, '');
      const traced = { ...env, TRACE_IMPORTS_FILE: trace, NODE_OPTIONS: `--import ${join(import.meta.dirname, 'workers', 'trace-imports-by-pid.mjs')}` };
      const out = cli(args, { home, env: traced });
      expect(out.code, out.stderr).toBe(0);
      // the command's own modules: its pid is on the first line (the detached flush starts after it wrote)
      const lines = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
      const pid = lines[0].split(' ')[0];
      return lines.filter((l) => l.startsWith(`${pid} `)).join('\n');
    };
    for (const args of [['memory', 'set', '--room', 'team', 'work/a', 'long enough to be forwarded'], ['room', 'send', '--room', 'team', 'a message long enough to forward']]) {
      const modules = loaded(args);
      expect(modules).toMatch(/dist\/src\/ingest\/outbox\.js/); // it was queued ...
      expect(modules).not.toMatch(/\/ingest\/deliver\.js|\/coord\/synthesis\/(?!trigger-key\.js|write-counter\.js)|\/coord\/llm\.js/); // ... by a detached flush, not here
    }
    await flushUntil(home, () => outbox(home).length === 0 && receiver.received.length >= 2, 'both deliveries');
  });

  it('HTTP and MCP memory writes and room messages are forwarded (the server\'s daemon, the MCP process deliver)', async () => {
    const receiver = await new Receiver().start();
    const home = homeWithRoom();
    configure(home, receiver.url);
    const { url } = await startServe(home, ['--token', 'http-token'], { ...env, MYCELIUM_OFFLINE: '1' });
    const http = (path: string, method: string, body: unknown) =>
      fetch(url + path, { method, body: JSON.stringify(body), headers: { Authorization: 'Bearer http-token', 'Content-Type': 'application/json', 'X-Mycelium-Handle': 'web-agent' } });
    expect((await http('/rooms/team/memory/work/http', 'PUT', { value: 'written over HTTP, long enough' })).status).toBeLessThan(300);
    expect((await http('/rooms/team/messages', 'POST', { text: 'a message sent over HTTP' })).status).toBe(201);
    await waitFor(() => receiver.received.length >= 2, 30_000, 'the server daemon to deliver the HTTP writes');

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, 'mcp', '--room', 'team'],
      env: { MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'mcp-agent', ...env },
      cwd: home,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'ingest-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect((await client.callTool({ name: 'memory_set', arguments: { key: 'work/mcp', value: 'written over MCP, long enough' } })).isError).toBeFalsy();
      expect((await client.callTool({ name: 'room_send', arguments: { text: 'a message sent over MCP' } })).isError).toBeFalsy();
      await waitFor(() => receiver.received.length >= 4 && outbox(home).length === 0, 30_000, 'the MCP writes to be delivered');
    } finally {
      await client.close();
    }
    const got = [...new Map(receiver.received.map((r) => [r.body.idempotency_key, r.body])).values()];
    expect(got.map((b) => `${b.kind} ${b.by} ${b.content}`).sort()).toEqual([
      'memory mcp-agent written over MCP, long enough',
      'memory web-agent written over HTTP, long enough',
      'message mcp-agent a message sent over MCP',
      'message web-agent a message sent over HTTP',
    ]);
  });
});
