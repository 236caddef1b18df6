import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { cli, cliPath, homeWithRoom, startServe } from './helpers.js';

const offline = { MYCELIUM_OFFLINE: '1' };

/** A room with two memories (one in a folder that only looks like the message store) and two messages. */
function roomWithMessages(): { home: string; ids: string[] } {
  const home = homeWithRoom();
  expect(cli(['memory', 'set', '--room', 'team', 'notes/a', 'a note'], { home }).code).toBe(0);
  expect(cli(['memory', 'set', '--room', 'team', 'messages-archive/old', 'kept'], { home }).code).toBe(0);
  const ids = ['@bob one', '@bob two'].map((text) => {
    const sent = cli(['room', 'send', '--room', 'team', '--handle', 'ana', '--json', text], { home });
    expect(sent.code, sent.stderr).toBe(0);
    return JSON.parse(sent.stdout).key as string;
  });
  return { home, ids };
}

const keysOf = (out: string) => (JSON.parse(out) as { memories: { key: string }[] }).memories.map((m) => m.key);

describe('memory ls and the message store', () => {
  it('lists memories without the messages; a messages/ prefix lists them; other folders are untouched', () => {
    const { home, ids } = roomWithMessages();
    const all = cli(['memory', 'ls', '--room', 'team', '--json'], { home });
    expect(all.code).toBe(0);
    expect(keysOf(all.stdout)).toEqual(['messages-archive/old', 'notes/a']);
    expect(keysOf(cli(['memory', 'ls', '--room', 'team', '--json', 'messages/'], { home }).stdout)).toEqual(ids);
    expect(keysOf(cli(['memory', 'ls', '--room', 'team', '--json', '--prefix', 'messages'], { home }).stdout)).toEqual(['messages-archive/old', ...ids]);
    const day = ids[0].slice(0, 'messages/yyyy-mm-dd/'.length);
    expect(keysOf(cli(['memory', 'ls', '--room', 'team', '--json', '--limit', '1', day], { home }).stdout)).toEqual([ids[0]]);
    expect(keysOf(cli(['memory', 'ls', '--room', 'team', '--json', 'notes/'], { home }).stdout)).toEqual(['notes/a']);
  });

  it('does not walk into messages/ (a bad file there is not warned about) unless asked, and a prefix walks only its folder', () => {
    const { home } = roomWithMessages();
    const dir = join(home, 'rooms', 'team');
    mkdirSync(join(dir, 'messages', 'junk'), { recursive: true });
    symlinkSync('/etc/passwd', join(dir, 'messages', 'junk', 'link.md'));
    symlinkSync('/etc/passwd', join(dir, 'elsewhere.md'));
    const plain = cli(['memory', 'ls', '--room', 'team'], { home });
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toContain('messages/junk');
    expect(plain.stderr).toContain('elsewhere.md');
    const asked = cli(['memory', 'ls', '--room', 'team', 'messages/'], { home });
    expect(asked.stderr).toContain(join('messages', 'junk', 'link.md'));
    expect(asked.stderr).not.toContain('elsewhere.md'); // only messages/ was walked
    // A prefix with a folder that cannot be a key folder walks the room and finds nothing; never outside it.
    writeFileSync(join(home, 'rooms', 'outside.md'), 'x');
    const escape = cli(['memory', 'ls', '--room', 'team', '--json', '../'], { home });
    expect(keysOf(escape.stdout)).toEqual([]);
  });

  it('HTTP GET /rooms/:room/memory and MCP memory_ls follow the same rule', async () => {
    const { home, ids } = roomWithMessages();
    const { url, stop } = await startServe(home, [], offline);
    try {
      const page = await (await fetch(`${url}/rooms/team/memory`)).json();
      expect(page.memories.map((m: { key: string }) => m.key)).toEqual(['messages-archive/old', 'notes/a']);
      const messages = await (await fetch(`${url}/rooms/team/memory?prefix=messages/`)).json();
      expect(messages.memories.map((m: { key: string }) => m.key)).toEqual(ids);
    } finally {
      await stop();
    }
    const transport = new StdioClientTransport({ command: process.execPath, args: [cliPath, 'mcp', '--room', 'team'], env: { MYCELIUM_HOME: home, ...offline }, cwd: home, stderr: 'pipe' });
    const client = new Client({ name: 'mycelium-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const call = async (args: Record<string, unknown>) => {
        const result = (await client.callTool({ name: 'memory_ls', arguments: args })) as { content: { text: string }[] };
        return keysOf(result.content[0].text);
      };
      expect(await call({})).toEqual(['messages-archive/old', 'notes/a']);
      expect(await call({ prefix: 'messages/' })).toEqual(ids);
    } finally {
      await client.close();
    }
  });
});
