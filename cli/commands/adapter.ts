import { addClaudeCode, adapterStatus, removeClaudeCode, type AdapterStatus } from '../../src/adapters/claude-code.js';
import { addHooks, hooksStatus, hooksTarget, removeHooks, type HooksChange, type HooksState } from '../../src/adapters/claude-hooks.js';
import { addCodex, codexPaths, codexStatus, removeCodex, type CodexPartState } from '../../src/adapters/codex.js';
import { addCursor, cursorPaths, cursorStatus, removeCursor } from '../../src/adapters/cursor.js';
import { ADAPTERS, checkAdapterName, type AdapterName } from '../../src/adapters/names.js';
import { printJson, printLine, table, type CommonOptions } from '../output.js';

type AdapterOptions = CommonOptions & { mcp?: boolean; hooks?: boolean; user?: boolean; force?: boolean };

const where = (options: AdapterOptions) => ({ user: options.user, cwd: process.cwd(), env: process.env });

const changeWords: Record<string, string> = {
  installed: 'installed',
  registered: 'registered',
  updated: 'updated',
  unchanged: 'already current',
  removed: 'removed',
  unregistered: 'removed',
  restored: 'removed, the earlier file restored',
  absent: 'not installed, nothing to remove',
};

function printPart(part: string, state: string, path: string, backup?: string): void {
  printLine(`${part} ${changeWords[state] ?? state}: ${path}`);
  if (backup) printLine(`  the previous file is kept at ${backup}`);
}

function printHooks(hooks: HooksChange): void {
  printPart(`hooks (${hooks.scope})`, hooks.state, hooks.settings, hooks.backup);
}

export async function adapterAdd(nameInput: string, options: AdapterOptions): Promise<void> {
  const name = checkAdapterName(nameInput);
  if (name === 'codex') {
    const change = await addCodex(codexPaths(where(options)), process.env);
    if (options.json) return printJson({ adapter: name, ...change });
    printPart('AGENTS.md section', change.instructions.state, change.instructions.path, change.instructions.backup);
    printPart('mcp server', change.mcp.state, change.mcp.settings, change.mcp.backup);
    return;
  }
  if (name === 'cursor') {
    const change = await addCursor(cursorPaths(where(options)), process.env);
    if (options.json) return printJson({ adapter: name, ...change });
    printPart('rule', change.rule.state, change.rule.path, change.rule.backup);
    printPart('mcp server', change.mcp.state, change.mcp.settings, change.mcp.backup);
    return;
  }
  const target = hooksTarget(where(options));
  if (options.hooks) await hooksStatus(target); // a broken settings.json is refused before anything is written
  const result = await addClaudeCode({ mcp: options.mcp, env: process.env });
  const hooks = options.hooks ? await addHooks(target) : undefined;
  if (options.json) return printJson({ adapter: name, ...result, ...(hooks ? { hooks } : {}) });
  printLine(`skill ${result.skill}: ${result.path}`);
  if (result.backup) printLine(`  the file that was there is kept at ${result.backup}; \`mycelium adapter remove ${name}\` puts it back`);
  if (result.mcp) {
    printLine(`mcp server ${result.mcp.state}: "mycelium" in ${result.mcp.settings}`);
    if (result.mcp.backup) printLine(`  previous settings saved at ${result.mcp.backup}`);
    if (result.mcp.state !== 'unchanged') printLine('  restart Claude Code to load it');
  }
  if (hooks) printHooks(hooks);
}

export async function adapterRemove(nameInput: string, options: AdapterOptions): Promise<void> {
  const name = checkAdapterName(nameInput);
  if (name === 'codex') {
    const change = await removeCodex(codexPaths(where(options)));
    if (options.json) return printJson({ adapter: name, ...change });
    printPart('AGENTS.md section', change.instructions.state, change.instructions.path);
    printPart('mcp server', change.mcp.state, change.mcp.settings);
    return;
  }
  if (name === 'cursor') {
    const change = await removeCursor(cursorPaths(where(options)), { force: options.force, env: process.env });
    if (options.json) return printJson({ adapter: name, ...change });
    printPart('rule', change.rule.state, change.rule.path);
    printPart('mcp server', change.mcp.state, change.mcp.settings);
    return;
  }
  const target = hooksTarget(where(options));
  await hooksStatus(target); // a broken settings.json is refused before anything is removed
  const result = await removeClaudeCode({ force: options.force, env: process.env });
  const hooks = await removeHooks(target);
  if (options.json) return printJson({ adapter: name, ...result, hooks });
  const skill = { removed: 'skill removed', restored: 'skill removed, the earlier file restored', absent: 'no skill installed' }[result.skill];
  printLine(`${skill}: ${result.path}`);
  printLine(result.mcp === 'unregistered' ? `mcp server "mycelium" removed from ${result.settings}` : 'no mcp server registered');
  printHooks(hooks);
}

const skillWords: Record<AdapterStatus['skill']['state'], string> = {
  'not-installed': 'not installed',
  current: 'installed, current',
  outdated: 'installed, outdated (run `mycelium adapter add claude-code`)',
  modified: 'installed, changed by hand',
  foreign: 'a SKILL.md mycelium did not write',
};
const mcpWords: Record<AdapterStatus['mcp']['state'], string> = {
  'not-registered': 'not registered',
  current: 'registered, current',
  different: 'registered, different command (run `mycelium adapter add claude-code --mcp`)',
};
const partWords = (name: AdapterName): Record<CodexPartState | HooksState, string> => ({
  'not-installed': 'not installed',
  current: 'installed, current',
  different: `installed, different (run \`mycelium adapter add ${name}${name === 'claude-code' ? ' --hooks' : ''}\`)`,
});

async function statusOf(name: AdapterName, options: AdapterOptions) {
  if (name === 'codex') return codexStatus(codexPaths(where(options)), process.env);
  if (name === 'cursor') return cursorStatus(cursorPaths(where(options)), process.env);
  const status = await adapterStatus(process.env);
  const project = await hooksStatus(hooksTarget({ ...where(options), user: false }));
  const user = await hooksStatus(hooksTarget({ ...where(options), user: true }));
  return { ...status, hooks: { project, user } };
}

export async function adapterLs(nameInput: string | undefined, options: AdapterOptions): Promise<void> {
  const names = nameInput === undefined ? [...ADAPTERS] : [checkAdapterName(nameInput)];
  const statuses = [];
  for (const name of names) statuses.push(await statusOf(name, options));
  if (options.json) return printJson({ adapters: statuses });
  const rows = [['adapter', 'part', 'state', 'where']];
  for (const status of statuses) {
    const words = partWords(status.adapter);
    if (status.adapter === 'claude-code') {
      rows.push([status.adapter, 'skill', skillWords[status.skill.state], status.skill.path]);
      rows.push(['', 'mcp', mcpWords[status.mcp.state], status.mcp.settings]);
      rows.push(['', 'hooks (project)', words[status.hooks.project.state], status.hooks.project.settings]);
      rows.push(['', 'hooks (user)', words[status.hooks.user.state], status.hooks.user.settings]);
    } else if (status.adapter === 'codex') {
      rows.push([status.adapter, 'AGENTS.md', words[status.instructions.state], status.instructions.path]);
      rows.push(['', 'mcp', words[status.mcp.state], status.mcp.settings]);
    } else {
      rows.push([status.adapter, 'rule', words[status.rule.state], status.rule.path]);
      rows.push(['', 'mcp', words[status.mcp.state], status.mcp.settings]);
    }
  }
  printLine(table(rows));
}
