import {
  addClaudeCode,
  adapterStatus,
  checkAdapterName,
  removeClaudeCode,
  type AdapterStatus,
} from '../../src/adapters/claude-code.js';
import { printJson, printLine, table, type CommonOptions } from '../output.js';

export async function adapterAdd(name: string, options: CommonOptions & { mcp?: boolean }): Promise<void> {
  checkAdapterName(name);
  const result = await addClaudeCode({ mcp: options.mcp });
  if (options.json) return printJson({ adapter: name, ...result });
  printLine(`skill ${result.skill}: ${result.path}`);
  if (result.backup) printLine(`  the file that was there is kept at ${result.backup}; \`mycelium adapter remove ${name}\` puts it back`);
  if (result.mcp) {
    printLine(`mcp server ${result.mcp.state}: "mycelium" in ${result.mcp.settings}`);
    if (result.mcp.backup) printLine(`  previous settings saved at ${result.mcp.backup}`);
    if (result.mcp.state !== 'unchanged') printLine('  restart Claude Code to load it');
  }
}

export async function adapterRemove(name: string, options: CommonOptions & { force?: boolean }): Promise<void> {
  checkAdapterName(name);
  const result = await removeClaudeCode({ force: options.force });
  if (options.json) return printJson({ adapter: name, ...result });
  const skill = { removed: 'skill removed', restored: 'skill removed, the earlier file restored', absent: 'no skill installed' }[result.skill];
  printLine(`${skill}: ${result.path}`);
  printLine(result.mcp === 'unregistered' ? `mcp server "mycelium" removed from ${result.settings}` : 'no mcp server registered');
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

export async function adapterLs(name: string | undefined, options: CommonOptions): Promise<void> {
  if (name !== undefined) checkAdapterName(name);
  const statuses = [await adapterStatus()]; // claude-code is the only adapter so far
  if (options.json) return printJson({ adapters: statuses });
  const rows = [['adapter', 'part', 'state', 'where']];
  for (const status of statuses) {
    rows.push([status.adapter, 'skill', skillWords[status.skill.state], status.skill.path]);
    rows.push(['', 'mcp', mcpWords[status.mcp.state], status.mcp.settings]);
  }
  printLine(table(rows));
}
