import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, cliPath, homeWithRoom, repoRoot, tempDir } from './helpers.js';

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
  it('lists the seven tools with the documented inputs', async () => {
    const client = await connect(homeWithRoom());
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t.inputSchema as { properties?: object; required?: string[] }]));
    const shape = (name: string) => ({ properties: Object.keys(byName[name].properties ?? {}).sort(), required: (byName[name].required ?? []).sort() });
    expect(Object.keys(byName).sort()).toEqual(['memory_get', 'memory_ls', 'memory_rm', 'memory_search', 'memory_set', 'room_create', 'room_ls']);
    expect(shape('memory_set')).toEqual({ properties: ['handle', 'key', 'room', 'tags', 'value'], required: ['key', 'value'] });
    expect(shape('memory_get')).toEqual({ properties: ['key', 'room'], required: ['key'] });
    expect(shape('memory_ls')).toEqual({ properties: ['limit', 'prefix', 'room'], required: [] });
    expect(shape('memory_search')).toEqual({ properties: ['limit', 'mode', 'query', 'room'], required: ['query'] });
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

  it('with no room anywhere, says how to choose one', async () => {
    const client = await connect(tempDir());
    expect(await callError(client, 'memory_ls', {})).toBe(
      'no_room: no room selected; pass --room NAME, set MYCELIUM_ROOM, or run `mycelium room use NAME`',
    );
  });

  it('memory_search says plainly when this build has no search', async () => {
    const client = await connect(homeWithRoom());
    expect(await callError(client, 'memory_search', { query: 'database' })).toBe('unavailable: search is not available in this build');
    expect(await callError(client, 'memory_search', { query: '' })).toMatch(/Input validation error: .*query/);
  });
});

describe('mycelium mcp: rooms as resources', () => {
  it('lists rooms and reads a room listing and a memory file', async () => {
    const home = homeWithRoom();
    cli(['memory', 'set', 'decisions/db', 'Use PostgreSQL 16'], { home });
    const client = await connect(home);
    const { resources } = await client.listResources();
    expect(resources.map((r) => [r.uri, r.name])).toEqual([['mycelium://rooms/team', 'team']]);
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

  it('memory set/get/ls never load the MCP SDK or zod (no static import reaches them)', () => {
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
    expect([...packages].filter((p) => /modelcontextprotocol|zod|transformers|fastify|chokidar/.test(p))).toEqual([]);
    expect([...seen].some((f) => f.includes(`${join('dist', 'src', 'mcp')}`))).toBe(false);
  });
});
