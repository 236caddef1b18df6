import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { ConflictError, InvalidInputError } from '../errors.js';
import { agentInstructions } from './agent-instructions.js';
import { MCP_SERVER_NAME, mcpServerEntry } from './claude-code.js';
import { projectDir, readText, removeFile, writeHostFile, sameJson } from './host-files.js';
import { sectionBody, withSection, withoutSection } from './marked-section.js';

/**
 * The Codex adapter. Codex reads `AGENTS.md` in the repository (and `$CODEX_HOME/AGENTS.md` for
 * every project), and starts the MCP servers listed as `[mcp_servers.<name>]` tables (`command`,
 * `args`, `env`) in `$CODEX_HOME/config.toml`, default `~/.codex/config.toml`
 * (github.com/openai/codex, docs/config.md and docs/agents_md.md). mycelium writes its own section
 * of AGENTS.md between markers and its own table in config.toml, and edits config.toml as text so
 * a person's comments and layout survive.
 */

export interface CodexPaths {
  codexHome: string;
  agentsFile: string;
  configFile: string;
}

export function codexPaths(options: { user?: boolean; cwd: string; env: NodeJS.ProcessEnv }): CodexPaths {
  const fromEnv = options.env.CODEX_HOME;
  const codexHome = resolve(fromEnv !== undefined && fromEnv.length > 0 ? fromEnv : join(homedir(), '.codex'));
  const agentsFile = options.user ? join(codexHome, 'AGENTS.md') : join(projectDir(options.cwd), 'AGENTS.md');
  return { codexHome, agentsFile, configFile: join(codexHome, 'config.toml') };
}

/** What Codex is given to start `mycelium mcp` (Codex's table has no `type` field). */
function codexEntry(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const { command, args, env: serverEnv } = mcpServerEntry(env);
  return Object.keys(serverEnv).length > 0 ? { command, args, env: serverEnv } : { command, args };
}

function parseConfig(text: string | undefined, file: string): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new InvalidInputError(`cannot parse ${file} (${(err as Error).message.split('\n')[0]}); fix the TOML and retry`);
  }
}

function ourServer(config: Record<string, unknown>): unknown {
  const servers = config.mcp_servers;
  return servers !== null && typeof servers === 'object' ? (servers as Record<string, unknown>)[MCP_SERVER_NAME] : undefined;
}

const HEADER = /^\s*\[\s*([^\]]*?)\s*\]\s*(#.*)?$/;
const isOurHeader = (name: string) => /^mcp_servers\s*\.\s*("mycelium"|'mycelium'|mycelium)(\s*\..*)?$/.test(name);

/** config.toml without the `[mcp_servers.mycelium]` table and its sub-tables. */
function withoutOurTables(text: string): string {
  const out: string[] = [];
  let skipping = false;
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header && !line.trimStart().startsWith('[[')) skipping = isOurHeader(header[1]);
    else if (header) skipping = false;
    if (!skipping) out.push(line);
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}


export type CodexPartState = 'not-installed' | 'current' | 'different';

export interface CodexStatus {
  adapter: 'codex';
  instructions: { state: CodexPartState; path: string };
  mcp: { state: CodexPartState; settings: string };
}

export async function codexStatus(paths: CodexPaths, env: NodeJS.ProcessEnv): Promise<CodexStatus> {
  const body = sectionBody(await readText(paths.agentsFile));
  const server = ourServer(parseConfig(await readText(paths.configFile), paths.configFile));
  return {
    adapter: 'codex',
    instructions: { state: body === undefined ? 'not-installed' : body === agentInstructions() + '\n' ? 'current' : 'different', path: paths.agentsFile },
    mcp: { state: server === undefined ? 'not-installed' : sameJson(server, codexEntry(env)) ? 'current' : 'different', settings: paths.configFile },
  };
}

export interface CodexChange {
  instructions: { state: 'installed' | 'updated' | 'unchanged' | 'removed' | 'absent'; path: string; backup?: string };
  mcp: { state: 'installed' | 'updated' | 'unchanged' | 'removed' | 'absent'; settings: string; backup?: string };
}

/** The new config.toml text with mycelium's table replaced; checked by parsing before anything is written. */
function configWith(text: string | undefined, file: string, entry: Record<string, unknown> | undefined): string {
  const before = parseConfig(text, file);
  let next = withoutOurTables(text ?? '');
  if (ourServer(parseConfig(next, file)) !== undefined) {
    throw new ConflictError(`${file} defines mcp_servers.${MCP_SERVER_NAME} in a form mycelium does not edit (inline or dotted keys); change it to a [mcp_servers.${MCP_SERVER_NAME}] table or remove it, and retry`);
  }
  if (entry) {
    const table = stringifyToml({ mcp_servers: { [MCP_SERVER_NAME]: entry } });
    next = next.trim() === '' ? table + '\n' : next.replace(/\n*$/, '\n\n') + table + '\n';
  }
  const after = parseConfig(next, file);
  // Everything but our entry must read back the same: the text edit may not have touched anything else.
  const strip = (config: Record<string, unknown>) => {
    const servers = { ...((config.mcp_servers as Record<string, unknown> | undefined) ?? {}) };
    delete servers[MCP_SERVER_NAME];
    return { ...config, mcp_servers: servers };
  };
  if (!sameJson(strip(before), strip(after)) || (entry && !sameJson(ourServer(after), entry))) {
    throw new ConflictError(`cannot edit ${file} safely (its layout is unusual); add the [mcp_servers.${MCP_SERVER_NAME}] table by hand, and retry`);
  }
  return next;
}

export async function addCodex(paths: CodexPaths, env: NodeJS.ProcessEnv): Promise<CodexChange> {
  const status = await codexStatus(paths, env); // a broken config.toml is refused before anything is written
  const agentsText = await readText(paths.agentsFile);
  const configText = await readText(paths.configFile);
  const nextConfig = configWith(configText, paths.configFile, codexEntry(env));
  const change: CodexChange = {
    instructions: { state: status.instructions.state === 'current' ? 'unchanged' : status.instructions.state === 'not-installed' ? 'installed' : 'updated', path: paths.agentsFile },
    mcp: { state: status.mcp.state === 'current' ? 'unchanged' : status.mcp.state === 'not-installed' ? 'installed' : 'updated', settings: paths.configFile },
  };
  if (change.instructions.state !== 'unchanged') {
    change.instructions.backup = await writeHostFile(paths.agentsFile, agentsText, withSection(agentsText, agentInstructions()));
  }
  if (change.mcp.state !== 'unchanged') change.mcp.backup = await writeHostFile(paths.configFile, configText, nextConfig);
  return change;
}

/** Takes out exactly mycelium's section and table; a file left empty that mycelium created is deleted. */
export async function removeCodex(paths: CodexPaths): Promise<CodexChange> {
  const agentsText = await readText(paths.agentsFile);
  const configText = await readText(paths.configFile);
  const hadServer = ourServer(parseConfig(configText, paths.configFile)) !== undefined;
  const nextConfig = hadServer ? configWith(configText, paths.configFile, undefined) : configText;
  const change: CodexChange = {
    instructions: { state: sectionBody(agentsText) === undefined ? 'absent' : 'removed', path: paths.agentsFile },
    mcp: { state: hadServer ? 'removed' : 'absent', settings: paths.configFile },
  };
  if (change.instructions.state === 'removed') await putBack(paths.agentsFile, agentsText!, withoutSection(agentsText!));
  if (hadServer) await putBack(paths.configFile, configText!, nextConfig!);
  return change;
}

async function putBack(file: string, previous: string, next: string): Promise<void> {
  if (next.trim() === '') await removeFile(file);
  else await writeHostFile(file, previous, next);
}
