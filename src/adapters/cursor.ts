import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConflictError } from '../errors.js';
import { agentInstructions } from './agent-instructions.js';
import { MCP_SERVER_NAME, mcpServerEntry } from './claude-code.js';
import { BACKUP_SUFFIX, jsonText, objectField, projectDir, readJsonObject, readText, removeFile, writeHostFile, writeText, sameJson } from './host-files.js';

/**
 * The Cursor adapter. Cursor reads project rules from `.cursor/rules/*.mdc`: markdown with a
 * frontmatter of `description`, `globs` and `alwaysApply` (true: the rule is in every chat), and MCP
 * servers from `mcpServers` in `.cursor/mcp.json` (project) or `~/.cursor/mcp.json` (every project)
 * (docs.cursor.com/context/rules, docs.cursor.com/context/mcp). The rule file is mycelium's alone;
 * in mcp.json only the `mycelium` entry is.
 */

export interface CursorPaths {
  ruleFile: string;
  mcpFile: string;
}

export function cursorPaths(options: { user?: boolean; cwd: string }): CursorPaths {
  const project = projectDir(options.cwd);
  return {
    ruleFile: join(project, '.cursor', 'rules', 'mycelium.mdc'),
    mcpFile: options.user ? join(homedir(), '.cursor', 'mcp.json') : join(project, '.cursor', 'mcp.json'),
  };
}

export function cursorRule(): string {
  return [
    '---',
    'description: Shared memory and coordination with the other agents of this project (mycelium)',
    'globs:',
    'alwaysApply: true',
    '---',
    agentInstructions(),
    '',
  ].join('\n');
}

function cursorEntry(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const { command, args, env: serverEnv } = mcpServerEntry(env);
  return { command, args, env: serverEnv };
}


export type CursorPartState = 'not-installed' | 'current' | 'different';

export interface CursorStatus {
  adapter: 'cursor';
  rule: { state: CursorPartState; path: string };
  mcp: { state: CursorPartState; settings: string };
}

export async function cursorStatus(paths: CursorPaths, env: NodeJS.ProcessEnv): Promise<CursorStatus> {
  const rule = await readText(paths.ruleFile);
  const servers = objectField((await readJsonObject(paths.mcpFile)).value, 'mcpServers', paths.mcpFile);
  const entry = servers[MCP_SERVER_NAME];
  return {
    adapter: 'cursor',
    rule: { state: rule === undefined ? 'not-installed' : rule === cursorRule() ? 'current' : 'different', path: paths.ruleFile },
    mcp: { state: entry === undefined ? 'not-installed' : sameJson(entry, cursorEntry(env)) ? 'current' : 'different', settings: paths.mcpFile },
  };
}

type ChangeState = 'installed' | 'updated' | 'unchanged' | 'removed' | 'restored' | 'absent';
export interface CursorChange {
  rule: { state: ChangeState; path: string; backup?: string };
  mcp: { state: ChangeState; settings: string; backup?: string };
}

const addState = (state: CursorPartState) => (state === 'current' ? 'unchanged' : state === 'not-installed' ? 'installed' : 'updated');

export async function addCursor(paths: CursorPaths, env: NodeJS.ProcessEnv): Promise<CursorChange> {
  const status = await cursorStatus(paths, env); // a broken mcp.json is refused before anything is written
  const change: CursorChange = {
    rule: { state: addState(status.rule.state), path: paths.ruleFile },
    mcp: { state: addState(status.mcp.state), settings: paths.mcpFile },
  };
  if (change.rule.state !== 'unchanged') change.rule.backup = await writeHostFile(paths.ruleFile, await readText(paths.ruleFile), cursorRule());
  if (change.mcp.state !== 'unchanged') {
    const { text, value } = await readJsonObject(paths.mcpFile);
    const servers = objectField(value, 'mcpServers', paths.mcpFile);
    change.mcp.backup = await writeHostFile(paths.mcpFile, text, jsonText({ ...value, mcpServers: { ...servers, [MCP_SERVER_NAME]: cursorEntry(env) } }));
  }
  return change;
}

/** Removes the rule (putting back a file it replaced; a changed rule only with `force`) and the MCP entry. */
export async function removeCursor(paths: CursorPaths, options: { force?: boolean; env: NodeJS.ProcessEnv }): Promise<CursorChange> {
  const status = await cursorStatus(paths, options.env);
  const backupPath = paths.ruleFile + BACKUP_SUFFIX;
  const backup = await readText(backupPath);
  if (status.rule.state === 'different' && backup === undefined && !options.force) {
    throw new ConflictError(`${paths.ruleFile} was changed since mycelium wrote it; pass --force to remove it anyway`);
  }
  const change: CursorChange = { rule: { state: 'absent', path: paths.ruleFile }, mcp: { state: 'absent', settings: paths.mcpFile } };
  if (backup !== undefined) {
    await writeText(paths.ruleFile, backup);
    await removeFile(backupPath);
    change.rule.state = 'restored';
  } else if (status.rule.state !== 'not-installed') {
    await removeFile(paths.ruleFile);
    change.rule.state = 'removed';
  }
  if (status.mcp.state !== 'not-installed') {
    const { text, value } = await readJsonObject(paths.mcpFile);
    const { [MCP_SERVER_NAME]: _ours, ...others } = objectField(value, 'mcpServers', paths.mcpFile);
    const next: Record<string, unknown> = { ...value, mcpServers: others };
    if (Object.keys(others).length === 0) delete next.mcpServers;
    if (Object.keys(next).length === 0 && (await readText(paths.mcpFile + BACKUP_SUFFIX)) === undefined) await removeFile(paths.mcpFile);
    else await writeHostFile(paths.mcpFile, text, jsonText(next));
    change.mcp.state = 'removed';
  }
  return change;
}
