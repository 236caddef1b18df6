import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliPath, repoRoot, snapshot, tempDir } from './helpers.js';

const bundled = readFileSync(join(repoRoot, 'skills', 'mycelium', 'SKILL.md'), 'utf8');

/** A fake user: its own HOME (so ~/.claude and ~/.claude.json are temp files) and mycelium home. */
function user(extra: Record<string, string | undefined> = {}) {
  const root = tempDir();
  const env = { HOME: root, CLAUDE_CONFIG_DIR: undefined, ...extra };
  const run = (...args: string[]) => cli(args, { home: join(root, '.mycelium'), env, cwd: root });
  const skillFile = join(extra.CLAUDE_CONFIG_DIR ?? join(root, '.claude'), 'skills', 'mycelium', 'SKILL.md');
  const settingsFile = extra.CLAUDE_CONFIG_DIR ? join(extra.CLAUDE_CONFIG_DIR, '.claude.json') : join(root, '.claude.json');
  return { root, run, skillFile, settingsFile };
}

const json = (text: string) => JSON.parse(text);

describe('mycelium adapter add/remove/ls claude-code', () => {
  it('installs the bundled skill under ~/.claude/skills, and a second add changes nothing', () => {
    const u = user();
    const first = u.run('adapter', 'add', 'claude-code');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`skill installed: ${u.skillFile}`);
    expect(readFileSync(u.skillFile, 'utf8')).toBe(bundled);

    const before = snapshot(u.root);
    const second = u.run('adapter', 'add', 'claude-code', '--json');
    expect(json(second.stdout)).toEqual({ adapter: 'claude-code', skill: 'unchanged', path: u.skillFile });
    expect(snapshot(u.root)).toEqual(before);
  });

  it('respects CLAUDE_CONFIG_DIR', () => {
    const config = join(tempDir(), 'claude-config');
    const u = user({ CLAUDE_CONFIG_DIR: config });
    expect(u.run('adapter', 'add', 'claude-code').code).toBe(0);
    expect(readFileSync(join(config, 'skills', 'mycelium', 'SKILL.md'), 'utf8')).toBe(bundled);
    expect(existsSync(join(u.root, '.claude'))).toBe(false);
  });

  it('backs up a SKILL.md it did not write, and remove puts it back', () => {
    const u = user();
    mkdirSync(join(u.skillFile, '..'), { recursive: true });
    writeFileSync(u.skillFile, '---\nname: mycelium\n---\nmy own notes\n');
    const added = u.run('adapter', 'add', 'claude-code', '--json');
    expect(json(added.stdout)).toMatchObject({ skill: 'updated', backup: `${u.skillFile}.mycelium-backup` });
    expect(readFileSync(u.skillFile, 'utf8')).toBe(bundled);
    expect(readFileSync(`${u.skillFile}.mycelium-backup`, 'utf8')).toBe('---\nname: mycelium\n---\nmy own notes\n');

    // A second add must not back up mycelium's own file over the person's.
    u.run('adapter', 'add', 'claude-code');
    expect(readFileSync(`${u.skillFile}.mycelium-backup`, 'utf8')).toContain('my own notes');

    const removed = u.run('adapter', 'remove', 'claude-code', '--json');
    expect(json(removed.stdout)).toMatchObject({ skill: 'restored', mcp: 'absent' });
    expect(readFileSync(u.skillFile, 'utf8')).toBe('---\nname: mycelium\n---\nmy own notes\n');
    expect(existsSync(`${u.skillFile}.mycelium-backup`)).toBe(false);
  });

  it('remove deletes the skill and its folder, and is a no-op the second time', () => {
    const u = user();
    u.run('adapter', 'add', 'claude-code');
    const removed = u.run('adapter', 'remove', 'claude-code');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('skill removed');
    expect(existsSync(join(u.skillFile, '..'))).toBe(false);
    expect(existsSync(join(u.root, '.claude', 'skills'))).toBe(true);
    const again = u.run('adapter', 'remove', 'claude-code', '--json');
    expect(json(again.stdout)).toMatchObject({ skill: 'absent', mcp: 'absent' });
  });

  it('ls shows not installed, current, outdated and changed by hand', () => {
    const u = user();
    const state = () => json(u.run('adapter', 'ls', '--json').stdout).adapters[0].skill.state;
    expect(state()).toBe('not-installed');
    expect(u.run('adapter', 'ls').stdout).toMatch(/claude-code\s+skill\s+not installed/);
    u.run('adapter', 'add', 'claude-code');
    expect(state()).toBe('current');
    expect(u.run('adapter', 'ls').stdout).toMatch(/skill\s+installed, current\s+\S*SKILL\.md/);

    // What an older mycelium would have left: its file and the record of its hash.
    const old = '---\nname: mycelium\n---\nold\n';
    writeFileSync(u.skillFile, old);
    writeFileSync(join(u.skillFile, '..', '.mycelium-adapter.json'), JSON.stringify({ sha256: createHash('sha256').update(old).digest('hex') }));
    expect(state()).toBe('outdated');
    writeFileSync(u.skillFile, old + 'edited by hand\n');
    expect(state()).toBe('modified');
  });

  it('remove refuses a skill changed by hand unless --force', () => {
    const u = user();
    u.run('adapter', 'add', 'claude-code');
    writeFileSync(u.skillFile, bundled + '\nmy addition\n');
    const refused = u.run('adapter', 'remove', 'claude-code');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^mycelium: .*SKILL\.md was not written by mycelium or was changed since; pass --force to remove it anyway\n$/);
    expect(readFileSync(u.skillFile, 'utf8')).toContain('my addition');
    expect(u.run('adapter', 'remove', 'claude-code', '--force').code).toBe(0);
    expect(existsSync(u.skillFile)).toBe(false);
  });

  it('refuses an unknown agent with exit 2', () => {
    const u = user();
    for (const verb of ['add', 'remove', 'ls']) {
      const result = u.run('adapter', verb, 'vim');
      expect(result.code).toBe(2);
      expect(result.stderr).toBe("mycelium: unknown adapter 'vim'; available: claude-code, codex, cursor\n");
    }
    expect(existsSync(join(u.root, '.claude'))).toBe(false);
  });
});

describe('mycelium adapter add claude-code --mcp', () => {
  const others = {
    numStartups: 12,
    projects: { '/src/app': { mcpServers: { local: { type: 'stdio', command: 'x' } }, allowedTools: [] } },
    mcpServers: {
      github: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { TOKEN: 't' } },
      notion: { type: 'http', url: 'https://mcp.notion.com/mcp' },
    },
    oauthAccount: { emailAddress: 'ana@example.com' },
  };

  it('adds mycelium to mcpServers in ~/.claude.json and leaves every other key and server as it was', () => {
    const u = user();
    const original = JSON.stringify(others, null, 2);
    writeFileSync(u.settingsFile, original);
    const added = u.run('adapter', 'add', 'claude-code', '--mcp', '--json');
    expect(added.code).toBe(0);
    expect(json(added.stdout).mcp).toEqual({ state: 'registered', settings: u.settingsFile, backup: `${u.settingsFile}.mycelium-backup` });

    const settings = json(readFileSync(u.settingsFile, 'utf8'));
    const { mycelium, ...rest } = settings.mcpServers;
    expect(rest).toEqual(others.mcpServers);
    expect({ ...settings, mcpServers: others.mcpServers }).toEqual(others);
    expect(mycelium).toEqual({
      type: 'stdio',
      command: process.execPath,
      args: [cliPath, 'mcp'],
      env: { MYCELIUM_HOME: join(u.root, '.mycelium') },
    });
    expect(readFileSync(`${u.settingsFile}.mycelium-backup`, 'utf8')).toBe(original);
    expect(json(u.run('adapter', 'ls', '--json').stdout).adapters[0].mcp.state).toBe('current');

    const before = snapshot(u.root);
    expect(json(u.run('adapter', 'add', 'claude-code', '--mcp', '--json').stdout).mcp.state).toBe('unchanged');
    expect(snapshot(u.root)).toEqual(before);

    expect(json(u.run('adapter', 'remove', 'claude-code', '--json').stdout).mcp).toBe('unregistered');
    expect(json(readFileSync(u.settingsFile, 'utf8'))).toEqual(others);
  });

  it('creates the settings file when there is none, inside CLAUDE_CONFIG_DIR when set', () => {
    const config = join(tempDir(), 'cfg');
    const u = user({ CLAUDE_CONFIG_DIR: config });
    expect(u.run('adapter', 'add', 'claude-code', '--mcp').code).toBe(0);
    expect(Object.keys(json(readFileSync(join(config, '.claude.json'), 'utf8')).mcpServers)).toEqual(['mycelium']);
    expect(existsSync(join(u.root, '.claude.json'))).toBe(false);
  });

  it('refuses a settings file that is not valid JSON and changes nothing', () => {
    const u = user();
    writeFileSync(u.settingsFile, '{"mcpServers": {');
    const before = snapshot(u.root);
    const result = u.run('adapter', 'add', 'claude-code', '--mcp');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mycelium: cannot parse .*\.claude\.json \(.*\); fix the JSON and retry\n$/);
    expect(snapshot(u.root)).toEqual(before);
  });

  it('refuses mcpServers that is not an object', () => {
    const u = user();
    writeFileSync(u.settingsFile, '{"mcpServers": []}');
    const result = u.run('adapter', 'add', 'claude-code', '--mcp');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"mcpServers" in .* is not an object; fix it and retry/);
  });
});
