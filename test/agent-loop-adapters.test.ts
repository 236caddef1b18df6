import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { cli, snapshot, tempDir } from './helpers.js';

/** A person's machine: its own HOME, CODEX_HOME and mycelium home, and a git repository to work in. */
function machine() {
  const root = tempDir();
  const repo = join(root, 'repo');
  mkdirSync(join(repo, 'src'), { recursive: true });
  spawnSync('git', ['init', '-q', repo]);
  const home = join(root, '.mycelium');
  const env = { HOME: root, CLAUDE_CONFIG_DIR: undefined, CODEX_HOME: join(root, '.codex') };
  const run = (args: string[], cwd = join(repo, 'src'), extra: Record<string, string> = {}) => cli(args, { home, env: { ...env, ...extra }, cwd });
  return { root, repo, home, env, run };
}

const json = (text: string) => JSON.parse(text);

const personsSettings = {
  model: 'opus',
  permissions: { allow: ['Bash(npm test)'] },
  hooks: {
    PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'echo checked' }] }],
    UserPromptSubmit: [{ hooks: [{ type: 'command', command: '/usr/local/bin/my-own-hook', timeout: 3 }] }],
  },
};

describe('adapter add claude-code --hooks', () => {
  it("adds SessionStart and UserPromptSubmit hooks to the repository's .claude/settings.json, keeping everything else, and remove takes out exactly them", () => {
    const m = machine();
    const settings = join(m.repo, '.claude', 'settings.json');
    mkdirSync(join(m.repo, '.claude'));
    const original = JSON.stringify(personsSettings, null, 2);
    writeFileSync(settings, original);

    const added = m.run(['adapter', 'add', 'claude-code', '--hooks', '--json']);
    expect(added.code).toBe(0);
    expect(json(added.stdout).hooks).toMatchObject({ state: 'installed', scope: 'project', settings, backup: settings + '.mycelium-backup' });
    expect(readFileSync(settings + '.mycelium-backup', 'utf8')).toBe(original);
    const now = json(readFileSync(settings, 'utf8'));
    expect(now.model).toBe('opus');
    expect(now.permissions).toEqual(personsSettings.permissions);
    expect(now.hooks.PreToolUse).toEqual(personsSettings.hooks.PreToolUse);
    expect(now.hooks.UserPromptSubmit).toHaveLength(2);
    expect(now.hooks.UserPromptSubmit[0]).toEqual(personsSettings.hooks.UserPromptSubmit[0]);
    expect(now.hooks.UserPromptSubmit[1].hooks[0]).toMatchObject({ type: 'command', timeout: 5 });
    expect(now.hooks.UserPromptSubmit[1].hooks[0].command).toMatch(/mycelium\.js hook prompt$/);
    expect(now.hooks.SessionStart[0].hooks[0]).toMatchObject({ type: 'command', timeout: 10 });
    expect(now.hooks.SessionStart[0].hooks[0].command).toMatch(/mycelium\.js hook session-start$/);

    const before = snapshot(m.repo);
    const again = m.run(['adapter', 'add', 'claude-code', '--hooks', '--json']);
    expect(json(again.stdout).hooks.state).toBe('unchanged');
    expect(snapshot(m.repo)).toEqual(before);

    const ls = json(m.run(['adapter', 'ls', '--json']).stdout).adapters;
    expect(ls[0].adapter).toBe('claude-code');
    expect(ls[0].hooks.project).toMatchObject({ state: 'current', settings });
    expect(ls[0].hooks.user.state).toBe('not-installed');
    expect(m.run(['adapter', 'ls', 'claude-code']).stdout).toMatch(/hooks \(project\)\s+installed, current/);

    expect(m.run(['adapter', 'remove', 'claude-code']).code).toBe(0);
    expect(json(readFileSync(settings, 'utf8'))).toEqual(personsSettings);
    expect(json(m.run(['adapter', 'ls', '--json']).stdout).adapters[0].hooks.project.state).toBe('not-installed');
  });

  it('--user writes ~/.claude/settings.json; a settings file mycelium created is deleted by remove', () => {
    const m = machine();
    const userSettings = join(m.root, '.claude', 'settings.json');
    expect(m.run(['adapter', 'add', 'claude-code', '--hooks', '--user']).code).toBe(0);
    expect(Object.keys(json(readFileSync(userSettings, 'utf8')).hooks).sort()).toEqual(['SessionStart', 'UserPromptSubmit']);
    expect(existsSync(join(m.repo, '.claude'))).toBe(false);
    expect(m.run(['adapter', 'remove', 'claude-code', '--user']).code).toBe(0);
    expect(existsSync(userSettings)).toBe(false);
  });

  it('refuses a broken settings.json with exit 2 and writes nothing', () => {
    const m = machine();
    mkdirSync(join(m.repo, '.claude'));
    writeFileSync(join(m.repo, '.claude', 'settings.json'), '{"hooks": ');
    const before = snapshot(m.root);
    const result = m.run(['adapter', 'add', 'claude-code', '--hooks']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mycelium: cannot parse .*settings\.json .*fix the JSON and retry\n$/);
    expect(snapshot(m.root)).toEqual(before);
    writeFileSync(join(m.repo, '.claude', 'settings.json'), '{"hooks": {"SessionStart": 3}}');
    expect(m.run(['adapter', 'add', 'claude-code', '--hooks']).stderr).toMatch(/"hooks.SessionStart" .* is not a list/);
  });
});

describe('adapter add codex', () => {
  const agentsMd = '# Project rules\n\nRun `npm test` before you push.\n';
  const configToml = '# my codex settings\nmodel = "o4"\n\n[mcp_servers.github]\ncommand = "npx"\nargs = ["-y", "server-github"] # the GitHub server\n\n[profiles.fast]\nmodel = "mini"\n';

  it("adds a marked AGENTS.md section and an [mcp_servers.mycelium] table, keeping the person's text, and remove restores both byte for byte", () => {
    const m = machine();
    writeFileSync(join(m.repo, 'AGENTS.md'), agentsMd);
    mkdirSync(join(m.root, '.codex'));
    const config = join(m.root, '.codex', 'config.toml');
    writeFileSync(config, configToml);

    const added = m.run(['adapter', 'add', 'codex', '--json']);
    expect(added.code).toBe(0);
    expect(json(added.stdout)).toMatchObject({ adapter: 'codex', instructions: { state: 'installed' }, mcp: { state: 'installed', settings: config } });
    const agents = readFileSync(join(m.repo, 'AGENTS.md'), 'utf8');
    expect(agents.startsWith(agentsMd)).toBe(true);
    expect(agents).toMatch(/<!-- mycelium:begin[^\n]*-->\n## Working with mycelium[\s\S]*mycelium digest[\s\S]*<!-- mycelium:end -->\n$/);
    const text = readFileSync(config, 'utf8');
    expect(text.startsWith(configToml)).toBe(true); // comments and layout kept
    const parsed = parseToml(text) as any;
    expect(parsed.mcp_servers.github).toEqual({ command: 'npx', args: ['-y', 'server-github'] });
    expect(parsed.mcp_servers.mycelium.command).toBe(process.execPath);
    expect(parsed.mcp_servers.mycelium.args[1]).toBe('mcp');
    expect(parsed.mcp_servers.mycelium.env).toEqual({ MYCELIUM_HOME: m.home });
    expect(parsed.profiles.fast.model).toBe('mini');

    const before = snapshot(m.root);
    expect(json(m.run(['adapter', 'add', 'codex', '--json']).stdout)).toMatchObject({ instructions: { state: 'unchanged' }, mcp: { state: 'unchanged' } });
    expect(snapshot(m.root)).toEqual(before);
    expect(json(m.run(['adapter', 'ls', 'codex', '--json']).stdout).adapters[0]).toMatchObject({ adapter: 'codex', instructions: { state: 'current' }, mcp: { state: 'current' } });

    expect(m.run(['adapter', 'remove', 'codex']).code).toBe(0);
    expect(readFileSync(join(m.repo, 'AGENTS.md'), 'utf8')).toBe(agentsMd);
    expect(readFileSync(config, 'utf8')).toBe(configToml);
  });

  it('creates AGENTS.md and config.toml when absent and deletes them again on remove', () => {
    const m = machine();
    expect(m.run(['adapter', 'add', 'codex']).code).toBe(0);
    expect(existsSync(join(m.repo, 'AGENTS.md'))).toBe(true);
    expect(m.run(['adapter', 'ls']).stdout).toMatch(/codex\s+AGENTS\.md\s+installed, current/);
    expect(m.run(['adapter', 'remove', 'codex']).code).toBe(0);
    expect(existsSync(join(m.repo, 'AGENTS.md'))).toBe(false);
    expect(existsSync(join(m.root, '.codex', 'config.toml'))).toBe(false);
  });

  it('refuses broken TOML (exit 2) and a mycelium entry written as an inline table (exit 3), writing nothing', () => {
    const m = machine();
    mkdirSync(join(m.root, '.codex'));
    const config = join(m.root, '.codex', 'config.toml');
    writeFileSync(config, '[mcp_servers\ncommand = ');
    let before = snapshot(m.root);
    let result = m.run(['adapter', 'add', 'codex']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mycelium: cannot parse .*config\.toml .*fix the TOML and retry\n$/);
    expect(snapshot(m.root)).toEqual(before);

    writeFileSync(config, '[mcp_servers]\nmycelium = { command = "old" }\n');
    before = snapshot(m.root);
    result = m.run(['adapter', 'add', 'codex']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/inline or dotted keys/);
    expect(snapshot(m.root)).toEqual(before);
  });
});

describe('adapter add cursor', () => {
  it('writes .cursor/rules/mycelium.mdc (always applied) and the mycelium entry of .cursor/mcp.json; remove leaves the other servers', () => {
    const m = machine();
    mkdirSync(join(m.repo, '.cursor'));
    const mcp = join(m.repo, '.cursor', 'mcp.json');
    const others = { mcpServers: { linear: { url: 'https://mcp.linear.app/sse' } } };
    writeFileSync(mcp, JSON.stringify(others));

    const added = m.run(['adapter', 'add', 'cursor', '--json']);
    expect(added.code).toBe(0);
    const rule = readFileSync(join(m.repo, '.cursor', 'rules', 'mycelium.mdc'), 'utf8');
    expect(rule).toMatch(/^---\ndescription: .+\nglobs:\nalwaysApply: true\n---\n## Working with mycelium/);
    const servers = json(readFileSync(mcp, 'utf8')).mcpServers;
    expect(servers.linear).toEqual(others.mcpServers.linear);
    expect(servers.mycelium).toMatchObject({ command: process.execPath, env: { MYCELIUM_HOME: m.home } });
    expect(json(m.run(['adapter', 'ls', 'cursor', '--json']).stdout).adapters[0]).toMatchObject({ rule: { state: 'current' }, mcp: { state: 'current' } });

    writeFileSync(join(m.repo, '.cursor', 'rules', 'mycelium.mdc'), rule + '\nmy own line\n');
    const refused = m.run(['adapter', 'remove', 'cursor']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/changed since mycelium wrote it; pass --force/);
    expect(m.run(['adapter', 'remove', 'cursor', '--force']).code).toBe(0);
    expect(existsSync(join(m.repo, '.cursor', 'rules', 'mycelium.mdc'))).toBe(false);
    expect(json(readFileSync(mcp, 'utf8'))).toEqual(others);
  });

  it('refuses an unknown agent with exit 2, naming the ones it knows', () => {
    const m = machine();
    const result = m.run(['adapter', 'add', 'vim']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("mycelium: unknown adapter 'vim'; available: claude-code, codex, cursor\n");
  });
});
