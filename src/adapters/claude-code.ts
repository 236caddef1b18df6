import { rmdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConflictError, ioError } from '../errors.js';
import { objectField, readJsonObject, readText, removeFile, writeText, sameJson } from './host-files.js';
import { contentHash } from '../content-hash.js';

/**
 * The Claude Code adapter: installs the mycelium skill where Claude Code looks for user skills
 * (`$CLAUDE_CONFIG_DIR/skills/mycelium/SKILL.md`, default `~/.claude/...`) and, on request,
 * registers `mycelium mcp` as a user-scope MCP server in Claude Code's own state file
 * (`~/.claude.json`, or `$CLAUDE_CONFIG_DIR/.claude.json`), top-level `mcpServers`.
 */

/** The root of the installed package: this file is dist/src/adapters/claude-code.js. */
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The skill file shipped with this build. */
export const bundledSkillPath = join(packageRoot, 'skills', 'mycelium', 'SKILL.md');
/** The CLI entry point hosts run for `mycelium mcp`. */
export const cliEntryPath = join(packageRoot, 'bin', 'mycelium.js');

/** The name mycelium's entry has under `mcpServers`. */
export const MCP_SERVER_NAME = 'mycelium';

export interface ClaudePaths {
  /** `$CLAUDE_CONFIG_DIR`, default `~/.claude`. */
  configDir: string;
  skillFile: string;
  /** The file a replaced SKILL.md was moved to; `remove` puts it back. */
  skillBackup: string;
  /** What mycelium installed (a hash), so it never mistakes a person's file for its own. */
  stateFile: string;
  /** Claude Code's state file holding user-scope MCP servers. */
  settingsFile: string;
  settingsBackup: string;
}

export function claudePaths(env: NodeJS.ProcessEnv): ClaudePaths {
  const fromEnv = env.CLAUDE_CONFIG_DIR;
  const custom = fromEnv !== undefined && fromEnv.length > 0;
  const configDir = resolve(custom ? fromEnv : join(homedir(), '.claude'));
  const skillDir = join(configDir, 'skills', 'mycelium');
  // Claude Code keeps ~/.claude.json beside ~/.claude, but inside CLAUDE_CONFIG_DIR when that is set.
  const settingsFile = custom ? join(configDir, '.claude.json') : join(homedir(), '.claude.json');
  return {
    configDir,
    skillFile: join(skillDir, 'SKILL.md'),
    skillBackup: join(skillDir, 'SKILL.md.mycelium-backup'),
    stateFile: join(skillDir, '.mycelium-adapter.json'),
    settingsFile,
    settingsBackup: `${settingsFile}.mycelium-backup`,
  };
}

/** How a stdio MCP host starts the server: absolute paths, so it works without PATH. */
export interface McpServerEntry {
  type: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
}

export function mcpServerEntry(env: NodeJS.ProcessEnv): McpServerEntry {
  const serverEnv: Record<string, string> = {};
  if (env.MYCELIUM_HOME) serverEnv.MYCELIUM_HOME = resolve(env.MYCELIUM_HOME);
  return { type: 'stdio', command: process.execPath, args: [cliEntryPath, 'mcp'], env: serverEnv };
}

export type SkillState = 'not-installed' | 'current' | 'outdated' | 'modified' | 'foreign';
export type McpState = 'not-registered' | 'current' | 'different';

export interface AdapterStatus {
  adapter: 'claude-code';
  skill: { state: SkillState; path: string; backup: boolean };
  mcp: { state: McpState; settings: string; entry?: unknown };
}

interface InstallRecord {
  sha256: string;
  installed_at: string;
}

export async function bundledSkill(): Promise<string> {
  const text = await readText(bundledSkillPath);
  if (text === undefined) throw ioError('read', bundledSkillPath, Object.assign(new Error(), { code: 'ENOENT' }));
  return text;
}

async function readRecord(paths: ClaudePaths): Promise<InstallRecord | undefined> {
  const text = await readText(paths.stateFile);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as InstallRecord;
  } catch {
    return undefined; // a damaged record only means we no longer recognise the file as ours
  }
}

async function skillState(paths: ClaudePaths): Promise<SkillState> {
  const installed = await readText(paths.skillFile);
  if (installed === undefined) return 'not-installed';
  if (installed === (await bundledSkill())) return 'current';
  const record = await readRecord(paths);
  if (!record) return 'foreign';
  return record.sha256 === contentHash(installed) ? 'outdated' : 'modified';
}

/** Claude Code's state file as an object; a missing file is empty, a broken one is refused. */
async function readSettings(paths: ClaudePaths): Promise<{ text?: string; settings: Record<string, unknown> }> {
  const { text, value } = await readJsonObject(paths.settingsFile);
  return { text, settings: value };
}

const serversOf = (settings: Record<string, unknown>, file: string) => objectField(settings, 'mcpServers', file);


export async function adapterStatus(env: NodeJS.ProcessEnv): Promise<AdapterStatus> {
  const paths = claudePaths(env);
  const servers = serversOf((await readSettings(paths)).settings, paths.settingsFile);
  const entry = servers[MCP_SERVER_NAME];
  const mcpState: McpState = entry === undefined ? 'not-registered' : sameJson(entry, mcpServerEntry(env)) ? 'current' : 'different';
  return {
    adapter: 'claude-code',
    skill: { state: await skillState(paths), path: paths.skillFile, backup: (await readText(paths.skillBackup)) !== undefined },
    mcp: { state: mcpState, settings: paths.settingsFile, ...(entry === undefined ? {} : { entry }) },
  };
}

export interface AddResult {
  skill: 'installed' | 'updated' | 'unchanged';
  path: string;
  /** Where a file that was not mycelium's went before it was replaced. */
  backup?: string;
  mcp?: { state: 'registered' | 'updated' | 'unchanged'; settings: string; backup?: string };
}

/** Installs (or updates) the skill; idempotent. A SKILL.md mycelium did not write is backed up first. */
export async function addClaudeCode(options: { mcp?: boolean; env: NodeJS.ProcessEnv }): Promise<AddResult> {
  const env = options.env;
  const paths = claudePaths(env);
  // A broken settings file is refused before anything is written.
  if (options.mcp) serversOf((await readSettings(paths)).settings, paths.settingsFile);
  const skill = await bundledSkill();
  const state = await skillState(paths);
  const result: AddResult = { skill: state === 'current' ? 'unchanged' : state === 'not-installed' ? 'installed' : 'updated', path: paths.skillFile };
  if (state === 'foreign' || state === 'modified') {
    // Not what mycelium wrote: keep it so `remove` can put it back.
    await writeText(paths.skillBackup, (await readText(paths.skillFile))!);
    result.backup = paths.skillBackup;
  }
  if (state !== 'current') {
    await writeText(paths.skillFile, skill);
    await writeText(paths.stateFile, JSON.stringify({ sha256: contentHash(skill), installed_at: new Date().toISOString() }, null, 2) + '\n');
  }
  if (options.mcp) result.mcp = await registerMcp(paths, env);
  return result;
}

/** Adds `mcpServers.mycelium`, leaving every other key and server as it was. */
async function registerMcp(paths: ClaudePaths, env: NodeJS.ProcessEnv): Promise<NonNullable<AddResult['mcp']>> {
  const { text, settings } = await readSettings(paths);
  const servers = serversOf(settings, paths.settingsFile);
  const wanted = mcpServerEntry(env);
  const existing = servers[MCP_SERVER_NAME];
  if (sameJson(existing, wanted)) return { state: 'unchanged', settings: paths.settingsFile };
  let backup: string | undefined;
  if (text !== undefined) {
    await writeText(paths.settingsBackup, text);
    backup = paths.settingsBackup;
  }
  settings.mcpServers = { ...servers, [MCP_SERVER_NAME]: wanted };
  await writeText(paths.settingsFile, JSON.stringify(settings, null, 2) + '\n');
  return { state: existing === undefined ? 'registered' : 'updated', settings: paths.settingsFile, backup };
}

export interface RemoveResult {
  skill: 'removed' | 'restored' | 'absent';
  path: string;
  mcp: 'unregistered' | 'absent';
  settings: string;
}

/**
 * Removes what `add` installed: the skill (putting back a file it replaced) and the MCP entry.
 * A skill file changed since mycelium wrote it is kept unless `force`.
 */
export async function removeClaudeCode(options: { force?: boolean; env: NodeJS.ProcessEnv }): Promise<RemoveResult> {
  const env = options.env;
  const paths = claudePaths(env);
  const state = await skillState(paths);
  if ((state === 'modified' || state === 'foreign') && !options.force) {
    throw new ConflictError(
      `${paths.skillFile} was not written by mycelium or was changed since; pass --force to remove it anyway`,
    );
  }
  const backup = await readText(paths.skillBackup);
  let skill: RemoveResult['skill'] = 'absent';
  if (backup !== undefined) {
    await writeText(paths.skillFile, backup);
    await removeFile(paths.skillBackup);
    skill = 'restored';
  } else if (state !== 'not-installed') {
    await removeFile(paths.skillFile);
    skill = 'removed';
  }
  await removeFile(paths.stateFile);
  if (skill === 'removed') await rmdir(dirname(paths.skillFile)).catch(() => {}); // only when nothing else is in it

  const { settings } = await readSettings(paths);
  const servers = serversOf(settings, paths.settingsFile);
  let mcp: RemoveResult['mcp'] = 'absent';
  if (servers[MCP_SERVER_NAME] !== undefined) {
    const { [MCP_SERVER_NAME]: _ours, ...others } = servers;
    settings.mcpServers = others;
    await writeText(paths.settingsFile, JSON.stringify(settings, null, 2) + '\n');
    mcp = 'unregistered';
  }
  return { skill, path: paths.skillFile, mcp, settings: paths.settingsFile };
}
