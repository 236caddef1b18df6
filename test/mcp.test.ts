import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, stop } from './daemon-helpers.js';
import { cli, cliPath, homeWithRoom, repoRoot, sharedDir, tempDir } from './helpers.js';

const modelDir = join(sharedDir, 'models', 'local', 'tiny-random-bert');
const haveModel = existsSync(join(modelDir, 'config.json'));
if (!haveModel) console.warn(`skipping the MCP hybrid search test: ${modelDir} is absent (it needs ../shared)`);

const clients: Client[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()!.close();
});

/** An SDK client talking to the real built CLI's `mycelium mcp` over stdio. */
async function connect(home: string, args: string[] = [], env: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, 'mcp', ...args],
    env: { MYCELIUM_HOME: home, ...env },
    cwd: home,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'mycelium-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

interface ToolResult {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

/** A successful call's JSON (the text and the structured content agree). */
async function callOk(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const result = await call(client, name, args);
  expect(result.isError, result.content[0]?.text).toBeFalsy();
  const parsed = JSON.parse(result.content[0].text);
  expect(result.structuredContent).toEqual(parsed);
  return parsed;
}

async function callError(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await call(client, name, args);
  expect(result.isError).toBe(true);
  return result.content[0].text;
}

describe('mycelium mcp: tools', () => {
  it('lists the seven memory tools with the documented inputs', async () => {
    const client = await connect(homeWithRoom());
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t.inputSchema as { properties?: object; required?: string[] }]));
    const shape = (name: string) => ({ properties: Object.keys(byName[name].properties ?? {}).sort(), required: (byName[name].required ?? []).sort() });
    // coordination tools (digest, messages, plan, …) are listed too; they have tests of their own
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['memory_get', 'memory_ls', 'memory_rm', 'memory_search', 'memory_set', 'room_create', 'room_ls', 'room_use']));
    // Negotiation (issue 14).
    expect(Object.keys(byName).filter((n) => n.startsWith('session_') || n.startsWith('negotiate_')).sort()).toEqual([
      'negotiate_open', 'negotiate_propose', 'negotiate_respond', 'negotiate_status', 'session_await', 'session_join',
    ]);
    expect(shape('memory_set')).toEqual({ properties: ['format', 'handle', 'if_version', 'key', 'room', 'tags', 'value'], required: ['key', 'value'] });
    expect(shape('memory_get')).toEqual({ properties: ['key', 'room'], required: ['key'] });
    expect(shape('memory_ls')).toEqual({ properties: ['limit', 'prefix', 'room'], required: [] });
    expect(shape('memory_search')).toEqual({ properties: ['by', 'explain', 'kind', 'limit', 'min_score', 'mode', 'prefix', 'query', 'room', 'since', 'tags'], required: ['query'] });
    expect(shape('memory_rm')).toEqual({ properties: ['key', 'room'], required: ['key'] });
    expect(shape('room_ls')).toEqual({ properties: [], required: [] });
    expect(shape('room_create')).toEqual({ properties: ['name'], required: ['name'] });
    for (const tool of tools) expect(tool.description?.length).toBeGreaterThan(10);
  });

  it('set, get, ls and rm work on the same files as the CLI', async () => {
    const home = homeWithRoom();
    const client = await connect(home, [], { MYCELIUM_AGENT_HANDLE: 'claude-mcp' });
    const path = join(home, 'rooms', 'team', 'decisions', 'db.md');

    const set = await callOk(client, 'memory_set', { key: 'decisions/db', value: 'Use PostgreSQL 16', tags: ['database'] });
    expect(set).toEqual({ room: 'team', key: 'decisions/db', version: 1, path });
    expect(readFileSync(path, 'utf8')).toMatch(/^---\nkey: decisions\/db\ncreated_by: claude-mcp\n[\s\S]*tags: \[database\]\n---\nUse PostgreSQL 16$/);
    expect(cli(['memory', 'get', 'decisions/db'], { home }).stdout).toBe('Use PostgreSQL 16');

    await callOk(client, 'memory_set', { key: 'context/deploy', value: { strategy: 'blue-green', regions: ['eu'] }, handle: 'ana' });
    await callOk(client, 'memory_set', { key: 'context/replicas', value: 3 });
    await callOk(client, 'memory_set', { key: 'context/raw', value: '{"a": 1}' });

    const got = await callOk(client, 'memory_get', { key: 'context/deploy' });
    expect(got).toMatchObject({ room: 'team', key: 'context/deploy', value: { strategy: 'blue-green', regions: ['eu'] }, format: 'json', version: 1, updated_by: 'ana' });
    expect(JSON.parse(cli(['memory', 'get', 'context/deploy', '--json'], { home }).stdout)).toEqual(got);
    expect(await callOk(client, 'memory_get', { key: 'context/replicas' })).toMatchObject({ value: 3, format: 'json' });
    expect(await callOk(client, 'memory_get', { key: 'context/raw' })).toMatchObject({ value: { a: 1 }, format: 'json' });

    const listed = await callOk(client, 'memory_ls', { prefix: 'context/', limit: 2 });
    expect(listed.room).toBe('team');
    expect(listed.memories.map((m: { key: string }) => m.key)).toEqual(['context/deploy', 'context/raw']);
    expect(JSON.parse(cli(['memory', 'ls', 'context/', '--limit', '2', '--json'], { home }).stdout)).toEqual(listed);

    expect(await callOk(client, 'memory_rm', { key: 'decisions/db' })).toEqual({ room: 'team', key: 'decisions/db', removed: true });
    expect(cli(['memory', 'get', 'decisions/db'], { home }).code).toBe(1);
  });

  it('room_create and room_ls, and the room argument picks the room', async () => {
    const home = tempDir();
    const client = await connect(home);
    expect(await callOk(client, 'room_create', { name: 'alpha' })).toEqual({ room: 'alpha', path: join(home, 'rooms', 'alpha'), active: true });
    expect(await callOk(client, 'room_create', { name: 'beta' })).toMatchObject({ room: 'beta', active: false });
    await callOk(client, 'memory_set', { key: 'k', value: 'in beta', room: 'beta' });
    const rooms = await callOk(client, 'room_ls');
    expect(rooms.rooms.map((r: { name: string; memories: number; active: boolean }) => [r.name, r.memories, r.active])).toEqual([
      ['alpha', 0, true],
      ['beta', 1, false],
    ]);
    expect(await callOk(client, 'memory_get', { key: 'k', room: 'beta' })).toMatchObject({ value: 'in beta' });
  });

  it('`mycelium mcp --room` sets the default room; a call can still name another', async () => {
    const home = homeWithRoom();
    cli(['room', 'create', 'other'], { home });
    const client = await connect(home, ['--room', 'other']);
    expect(await callOk(client, 'memory_set', { key: 'k', value: 'v' })).toMatchObject({ room: 'other' });
    expect(await callOk(client, 'memory_ls', { room: 'team' })).toEqual({ room: 'team', memories: [] });
  });

  it('bad input comes back as a tool error that says what to do, and the server keeps serving', async () => {
    const home = homeWithRoom();
    const client = await connect(home);
    expect(await callError(client, 'memory_set', { key: '../escape', value: 'x' })).toMatch(/^invalid_key: /);
    expect(await callError(client, 'memory_get', { key: 'k', room: 'nope' })).toBe(
      "room_not_found: unknown room 'nope' (rooms: team); create it with `mycelium room create nope`",
    );
    expect(await callError(client, 'memory_get', { key: 'missing' })).toMatch(/^memory_not_found: no memory 'missing' in room 'team'/);
    expect(await callError(client, 'memory_rm', { key: 'missing' })).toMatch(/^memory_not_found: /);
    expect(await callError(client, 'memory_set', { value: 'no key' })).toMatch(/Input validation error: .*key/);
    expect(await callError(client, 'memory_ls', { limit: 'ten' })).toMatch(/Input validation error: .*limit/);
    expect(await callError(client, 'memory_ls', { limit: 0 })).toMatch(/Input validation error: .*limit/);
    expect(await callError(client, 'memory_set', { key: 'k', value: 'v', tags: 'a,b' })).toMatch(/Input validation error: .*tags/);
    expect(await callError(client, 'room_create', { name: 'team' })).toMatch(/^room_exists: room 'team' already exists/);
    expect(await callError(client, 'room_create', { name: 'a/b' })).toMatch(/^invalid_key: /);
    expect(await callError(client, 'no_such_tool', {})).toMatch(/Tool no_such_tool not found/);
    expect(await callOk(client, 'memory_ls')).toEqual({ room: 'team', memories: [] });
    expect(cli(['memory', 'ls', '--json'], { home }).stdout).toContain('"memories": []');
  });

  it('an oversize value is refused and writes nothing', async () => {
    const home = homeWithRoom();
    const client = await connect(home, [], { MYCELIUM_MAX_VALUE_BYTES: '16' });
    expect(await callError(client, 'memory_set', { key: 'big', value: 'x'.repeat(17) })).toBe(
      'value_too_large: value is 17 bytes, over the 16-byte limit; store less or raise MYCELIUM_MAX_VALUE_BYTES',
    );
    expect(cli(['memory', 'ls', '--json'], { home }).stdout).toContain('"memories": []');
  });

  it('with no room anywhere, says how to choose one', async () => {
    const client = await connect(tempDir());
    expect(await callError(client, 'memory_ls', {})).toBe(
      'no_room: no room selected; pass --room NAME, set MYCELIUM_ROOM, or run `mycelium room use NAME`',
    );
  });

});

describe('mycelium mcp: memory_search', () => {
  const offline = { MYCELIUM_OFFLINE: '1' };

  it('searches with the search library; later writes are found by the next search', async () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'decisions/db', 'We chose PostgreSQL 16 for the main store', '--tags', 'database', '--handle', 'ana'], { home });
    cli(['memory', 'set', 'notes/cooking', 'Pasta wants salted boiling water'], { home });
    const client = await connect(home, [], offline);
    const found = await callOk(client, 'memory_search', { query: 'postgresql' });
    expect(found).toMatchObject({ room: 'team', mode: 'bm25', reason: expect.stringMatching(/MYCELIUM_OFFLINE is set/) });
    expect(found.results).toEqual([
      { key: 'decisions/db', score: expect.any(Number), version: 1, updated_at: expect.any(String), updated_by: 'ana', tags: ['database'], snippet: 'We chose PostgreSQL 16 for the main store', line: expect.any(Number) },
    ]);
    // The CLI's --json and the tool agree on the results.
    const viaCli = JSON.parse(cli(['memory', 'search', 'postgresql', '--json'], { home, env: offline }).stdout);
    expect(viaCli.results).toEqual(found.results);

    // Written by another process after the server opened the index: found on the next search.
    cli(['memory', 'set', 'decisions/cache', 'Redis holds sessions; PostgreSQL stays the store'], { home });
    await callOk(client, 'memory_set', { key: 'context/pg-owner', value: 'ana owns the PostgreSQL cluster' });
    const again = await callOk(client, 'memory_search', { query: 'postgresql', limit: 5, mode: 'bm25' });
    expect(again.results.map((r: { key: string }) => r.key).sort()).toEqual(['context/pg-owner', 'decisions/cache', 'decisions/db']);
    expect(again.reason).toBeUndefined();
    cli(['memory', 'rm', 'decisions/db'], { home });
    const afterRm = await callOk(client, 'memory_search', { query: 'postgresql', limit: 1 });
    expect(afterRm.results).toHaveLength(1);
    expect(afterRm.results[0].key).not.toBe('decisions/db');
  });

  it('searches rooms side by side, concurrently, without mixing them up', async () => {
    const home = homeWithRoom();
    cli(['room', 'create', 'other'], { home });
    cli(['memory', 'set', 'a', 'apples in team'], { home });
    cli(['memory', 'set', 'b', 'apples in other', '--room', 'other'], { home });
    const client = await connect(home, [], offline);
    const [team, other, team2] = await Promise.all([
      callOk(client, 'memory_search', { query: 'apples' }),
      callOk(client, 'memory_search', { query: 'apples', room: 'other' }),
      callOk(client, 'memory_search', { query: 'apples', mode: 'bm25' }),
    ]);
    expect([team.room, team.results.map((r: { key: string }) => r.key)]).toEqual(['team', ['a']]);
    expect([other.room, other.results.map((r: { key: string }) => r.key)]).toEqual(['other', ['b']]);
    expect(team2.results.map((r: { key: string }) => r.key)).toEqual(['a']);
  });

  it.skipIf(!haveModel)('uses the embedding model when one loads (hybrid)', async () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'decisions/db', 'We chose PostgreSQL 16'], { home });
    const client = await connect(home, [], { MYCELIUM_MODEL_DIR: modelDir });
    const hybrid = await callOk(client, 'memory_search', { query: 'postgresql' });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.reason).toBeUndefined();
    expect(hybrid.results[0].key).toBe('decisions/db');
    expect((await callOk(client, 'memory_search', { query: 'postgresql', mode: 'vector' })).mode).toBe('vector');
  });

  it.skipIf(!haveModel)('asks the daemon when one runs (its model answers, not this process)', async () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'decisions/db', 'We chose PostgreSQL 16'], { home });
    const daemon = await startDaemon(home, { env: { MYCELIUM_MODEL_DIR: modelDir, MYCELIUM_OFFLINE: undefined } });
    const client = await connect(home, [], offline); // this process has no model: alone it could only do BM25
    const found = await callOk(client, 'memory_search', { query: 'postgresql' });
    expect(found.mode).toBe('hybrid');
    expect(found.results[0].key).toBe('decisions/db');
    await client.close();
    expect(await stop(daemon)).toBe(0);
    const alone = await connect(home, [], offline);
    expect((await callOk(alone, 'memory_search', { query: 'postgresql' })).mode).toBe('bm25');
  });

  it('bad search input is a tool error', async () => {
    const client = await connect(homeWithRoom(), [], offline);
    expect(await callError(client, 'memory_search', { query: '' })).toMatch(/Input validation error: .*query/);
    expect(await callError(client, 'memory_search', { query: '   ' })).toBe('invalid_input: empty query; give the words to search for');
    expect(await callError(client, 'memory_search', { query: 'x'.repeat(2001) })).toMatch(/^invalid_input: query is 2001 characters, over the 2000-character limit/);
    expect(await callError(client, 'memory_search', { query: 'x', mode: 'fuzzy' })).toMatch(/Input validation error: .*mode/);
    expect(await callError(client, 'memory_search', { query: 'x', limit: 0 })).toMatch(/Input validation error: .*limit/);
    expect(await callError(client, 'memory_search', { query: 'x', room: 'nope' })).toMatch(/^room_not_found: unknown room 'nope'/);
    expect((await callOk(client, 'memory_search', { query: 'anything' })).results).toEqual([]);
  });
});

describe('mycelium mcp: rooms as resources', () => {
  it('lists rooms and reads a room listing and a memory file', async () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'decisions/db', 'Use PostgreSQL 16'], { home });
    const client = await connect(home);
    const { resources } = await client.listResources();
    expect(resources.filter((r) => r.uri.startsWith('mycelium://rooms/')).map((r) => [r.uri, r.name])).toEqual([['mycelium://rooms/team', 'team']]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual(['mycelium://rooms/{room}', 'mycelium://rooms/{room}/{+key}']);

    const room = await client.readResource({ uri: 'mycelium://rooms/team' });
    const listing = JSON.parse((room.contents[0] as { text: string }).text);
    expect(listing.memories.map((m: { key: string }) => m.key)).toEqual(['decisions/db']);

    const memory = await client.readResource({ uri: 'mycelium://rooms/team/decisions/db' });
    expect(memory.contents[0]).toMatchObject({ mimeType: 'text/markdown' });
    expect((memory.contents[0] as { text: string }).text).toBe(readFileSync(join(home, 'rooms', 'team', 'decisions', 'db.md'), 'utf8'));

    await expect(client.readResource({ uri: 'mycelium://rooms/nope' })).rejects.toThrow(/unknown room 'nope'/);
  });
});

describe('mycelium mcp: wiring', () => {
  it('the entry `adapter add claude-code --mcp` registers starts a working server', async () => {
    const user = tempDir();
    const home = homeWithRoom();
    expect(cli(['adapter', 'add', 'claude-code', '--mcp'], { home, env: { HOME: user, CLAUDE_CONFIG_DIR: undefined } }).code).toBe(0);
    const entry = JSON.parse(readFileSync(join(user, '.claude.json'), 'utf8')).mcpServers.mycelium;
    const client = new Client({ name: 'as-claude-code', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: entry.command, args: entry.args, env: entry.env, cwd: user, stderr: 'pipe' }));
    clients.push(client);
    await callOk(client, 'memory_set', { key: 'from/claude', value: 'hello' });
    expect(cli(['memory', 'get', 'from/claude'], { home }).stdout).toBe('hello');
  });

  it('memory set/get/ls never load the MCP SDK, zod or search code (no static import reaches them)', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        const spec = match[1];
        if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
        else packages.add(spec);
      }
    };
    for (const start of ['cli/main.js', 'cli/commands/memory.js', 'cli/commands/room.js']) walk(join(repoRoot, 'dist', start));
    expect(seen.size).toBeGreaterThan(5);
    expect([...packages].filter((p) => /modelcontextprotocol|zod|transformers|fastify|chokidar|minisearch/.test(p))).toEqual([]);
    expect([...seen].some((f) => f.includes(`${join('dist', 'src', 'mcp')}`))).toBe(false);
  });
});
