import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/errors.js';
import { Room, normalizeTags, parseTags } from '../src/room.js';
import { cli, cliPath, homeWithRoom, startServe } from './helpers.js';

const TOKEN = 'tags-token';
const tagsOf = (home: string, key: string) => JSON.parse(cli(['memory', 'get', key, '--room', 'team', '--json'], { home }).stdout).tags;

describe('one tag rule for every face', () => {
  it('a tag may hold a comma; only the CLI flag splits on commas', async () => {
    expect(normalizeTags([' a ', 'a', '', 'b,c'])).toEqual(['a', 'b,c']);
    expect(parseTags(' a, b ,,a')).toEqual(['a', 'b']);
    expect(() => normalizeTags(['x\ny'])).toThrow(InvalidInputError);

    const home = homeWithRoom();
    // library
    const room = await Room.open(home, 'team');
    await room.set('lib', 'v', { handle: 'ana', tags: ['a,b', ' a,b ', 'c'] });
    expect(tagsOf(home, 'lib')).toEqual(['a,b', 'c']);
    // CLI: the flag's own syntax
    expect(cli(['memory', 'set', 'cli', 'v', '--tags', 'a,b', '--room', 'team', '--handle', 'ana'], { home }).code).toBe(0);
    expect(tagsOf(home, 'cli')).toEqual(['a', 'b']);
    // HTTP: a JSON list is kept whole
    const server = await startServe(home, ['--token', TOKEN], { MYCELIUM_OFFLINE: '1' });
    const put = await fetch(`${server.url}/rooms/team/memory/http`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'X-Mycelium-Handle': 'ana' },
      body: JSON.stringify({ value: 'v', tags: ['a,b', 'a,b', ' c '] }),
    });
    expect(put.status).toBe(201);
    expect(tagsOf(home, 'http')).toEqual(['a,b', 'c']);
    // MCP: the same
    const client = new Client({ name: 'tags-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [cliPath, 'mcp'], env: { MYCELIUM_HOME: home, MYCELIUM_AGENT_HANDLE: 'ana' }, cwd: home, stderr: 'pipe' }));
    try {
      const result = (await client.callTool({ name: 'memory_set', arguments: { key: 'mcp', value: 'v', room: 'team', tags: ['a,b', ' c ', 'c'] } })) as { isError?: boolean };
      expect(result.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    expect(tagsOf(home, 'mcp')).toEqual(['a,b', 'c']);
  }, 60_000);
});
