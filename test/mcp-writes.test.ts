import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, cliPath, homeWithRoom, tempDir } from './helpers.js';

const clients: Client[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()!.close();
});

async function connect(home: string, args: string[] = [], cwd = home): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [cliPath, 'mcp', ...args], env: { MYCELIUM_HOME: home, MYCELIUM_OFFLINE: '1' }, cwd, stderr: 'pipe' });
  const client = new Client({ name: 'mycelium-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

interface ToolResult {
  isError?: boolean;
  content: { type: string; text: string }[];
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}
async function ok(client: Client, name: string, args: Record<string, unknown>): Promise<any> {
  const result = await call(client, name, args);
  expect(result.isError, result.content[0]?.text).toBeFalsy();
  return JSON.parse(result.content[0].text);
}
async function error(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await call(client, name, args);
  expect(result.isError, result.content[0]?.text).toBe(true);
  return result.content[0].text;
}

describe('mcp memory_set: if_version and format', () => {
  it('if_version: 0 creates only a new memory; N writes only over version N; a mismatch is a conflict and writes nothing', async () => {
    const home = homeWithRoom();
    const client = await connect(home);
    expect(await ok(client, 'memory_set', { key: 'work/todo', value: 'one', if_version: 0 })).toMatchObject({ version: 1 });
    expect(await error(client, 'memory_set', { key: 'work/todo', value: 'again', if_version: 0 })).toMatch(/^conflict: version conflict on 'work\/todo': expected 0, found 1; get it again and retry/);
    expect(await ok(client, 'memory_set', { key: 'work/todo', value: 'two', if_version: 1 })).toMatchObject({ version: 2 });
    expect(await error(client, 'memory_set', { key: 'work/todo', value: 'stale', if_version: 1 })).toMatch(/^conflict: .*expected 1, found 2/);
    expect(cli(['memory', 'get', 'work/todo'], { home }).stdout).toBe('two');
  });

  it('format text keeps a JSON-looking string as text; format json parses a string; a bad one is refused', async () => {
    const home = homeWithRoom();
    const client = await connect(home);
    await ok(client, 'memory_set', { key: 'a', value: '{"x": 1}', format: 'text' });
    expect(await ok(client, 'memory_get', { key: 'a' })).toMatchObject({ value: '{"x": 1}', format: 'text' });
    await ok(client, 'memory_set', { key: 'b', value: '42', format: 'json' });
    expect(await ok(client, 'memory_get', { key: 'b' })).toMatchObject({ value: 42, format: 'json' });
    expect(await error(client, 'memory_set', { key: 'c', value: 'not json', format: 'json' })).toMatch(/^invalid_input: value is not valid JSON/);
    expect(await error(client, 'memory_set', { key: 'c', value: { x: 1 }, format: 'text' })).toMatch(/^invalid_input: /);
  });
});

describe('mcp: wrong argument types are tool errors in the usual shape', () => {
  it('a type error is an isError result "invalid_input: ..." naming the argument, and the server keeps serving', async () => {
    const client = await connect(homeWithRoom());
    expect(await error(client, 'memory_set', { key: 'k', value: 'v', if_version: 'one' })).toMatch(/^invalid_input: .*if_version/);
    expect(await error(client, 'memory_set', { key: 'k', value: 'v', format: 'yaml' })).toMatch(/^invalid_input: .*format/);
    expect(await error(client, 'memory_ls', { limit: 'ten' })).toMatch(/^invalid_input: .*limit/);
    expect(await error(client, 'memory_get', { key: 7 })).toMatch(/^invalid_input: .*key/);
    expect(await error(client, 'no_such_tool', {})).toMatch(/^unknown_tool: .*no_such_tool/);
    expect(await ok(client, 'memory_ls', {})).toEqual({ room: 'team', memories: [] });
  });
});

describe('mcp room_use', () => {
  it('makes a room the active one in the global config, and later calls without room use it', async () => {
    const home = homeWithRoom();
    cli(['room', 'create', 'other'], { home });
    const client = await connect(home);
    expect(await ok(client, 'room_use', { name: 'other' })).toEqual({ room: 'other', scope: 'global', config: join(home, 'config.toml') });
    expect(await ok(client, 'memory_set', { key: 'k', value: 'v' })).toMatchObject({ room: 'other' });
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toMatch(/active = "other"/);
    expect(cli(['room', 'ls', '--json'], { home }).stdout).toMatch(/"name": "other"[^}]*"active": true/);
  });

  it('wins over the server\'s --room default for this session; local writes the project config; unknown rooms are refused', async () => {
    const home = homeWithRoom();
    cli(['room', 'create', 'other'], { home });
    const project = tempDir();
    mkdirSync(join(project, '.git'));
    const client = await connect(home, ['--room', 'team'], project);
    expect(await ok(client, 'room_use', { name: 'other', scope: 'local' })).toEqual({ room: 'other', scope: 'local', config: join(project, '.mycelium', 'config.toml') });
    expect(await ok(client, 'memory_ls', {})).toMatchObject({ room: 'other' });
    expect(await error(client, 'room_use', { name: 'nope' })).toMatch(/^room_not_found: unknown room 'nope'/);
    expect(await ok(client, 'memory_ls', {})).toMatchObject({ room: 'other' });
  });
});
