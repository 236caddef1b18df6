import { Command, CommanderError, Option } from 'commander';
import { ExitCode, UsageError, errorJson } from '../src/errors.js';
import { VERSION } from '../src/version.js';
import { printJson, type CommonOptions } from './output.js';
import { markDashValues } from './dash-values.js';
import { action, common, specCommand } from './wiring.js';
import { MEMORY_GET, MEMORY_LS, MEMORY_SEARCH, MEMORY_SET } from './verb-spec.js';
import { MESSAGES_REGISTRATIONS } from './register-messages.js';
import { registerNegotiate } from './register-negotiate.js';
import { registerPlan } from './register-plan.js';
import { registerClaims } from './register-claims.js';
import { registerAgentLoop } from './register-agent-loop.js';
import { registerSynthesis } from './register-synthesis.js';
import { registerRoomFolders } from './register-room-folders.js';

/**
 * Which registrations define each top-level command. A command line builds only the tree of its own
 * top-level command (a command pays for its own flags, not for all ~100); anything else (help, a
 * global flag first, a name not listed) builds the whole program. test/messages-cli-startup.test.ts checks
 * that every top-level command built alone matches the whole program.
 */
const REGISTRATIONS: [names: string[], register: (program: Command) => void][] = [
  [['room'], registerRoom],
  [['memory'], registerMemory],
  [['daemon'], registerDaemon],
  [['status'], registerStatus],
  [['memory'], registerSearch],
  [['sync'], registerSync],
  [['serve'], registerServe],
  [['adapter'], registerAdapter],
  [['mcp'], registerMcp],
  [['doctor'], registerDoctor],
  [['demo'], registerDemo],
  ...MESSAGES_REGISTRATIONS,
  [['session', 'negotiate'], registerNegotiate],
  [['plan'], registerPlan],
  [['claim', 'release', 'claims'], registerClaims],
  [['digest', 'hook', 'launch'], registerAgentLoop],
  [['room', 'ingest'], registerSynthesis],
  [['room'], registerRoomFolders],
];

/** The top-level command names the program registers (each built alone by buildProgram(name)). */
export const TOP_LEVEL_COMMANDS = [...new Set(REGISTRATIONS.flatMap(([names]) => names))];

/** The whole program, or (given a top-level command name) only what that command needs. */
export function buildProgram(only?: string): Command {
  const program = new Command('mycelium')
    .description('Shared, persistent memory for AI agents, kept as markdown files in rooms')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => usageError(`${text.replace(/^error: /, '').trim()}${unknownOptionHint(text)}; see \`mycelium --help\``, write),
    });
  common(program);

  const needed = only !== undefined && TOP_LEVEL_COMMANDS.includes(only) ? only : undefined;
  for (const [names, register] of REGISTRATIONS) if (needed === undefined || names.includes(needed)) register(program);
  return program;
}

function registerRoom(program: Command): void {
  const room = program.command('room').description('create, list, select and delete rooms');
  common(room.command('create').argument('<name>', 'room name').description('create an empty room (the first room becomes active)'))
    .action(action(async () => (await import('./commands/room.js')).roomCreate));
  common(room.command('ls').description('list rooms with their memory count and last change'))
    .action(action(async () => (await import('./commands/room.js')).roomLs));
  common(room.command('use').argument('<name>', 'room name').description('make a room the active one'))
    .option('--local', 'write the project file .mycelium/config.toml instead of the global config')
    .action(action(async () => (await import('./commands/room.js')).roomUse));
  common(room.command('rm').argument('<name>', 'room name').description('delete a room'))
    .option('--force', 'delete even when the room holds memories')
    .option('--delete-files', 'for a room added with `room add`: delete its folder too (otherwise it is only forgotten)')
    .action(action(async () => (await import('./commands/room.js')).roomRm));

  common(
    room
      .command('clone')
      .argument('<source>', 'a git URL or path, or a server room http://host:port/rooms/NAME')
      .argument('[name]', 'local room name (default: the last part of the source)')
      .description('clone a shared room from git or a mycelium server'),
  )
    .option('--token <token>', 'server token (default: MYCELIUM_TOKEN; never stored)')
    .action(action(async () => (await import('./commands/sync.js')).roomClone));
  common(
    room
      .command('remote')
      .argument('<name>', 'room name')
      .argument('<url>', 'git remote URL or path')
      .description('share a room through git: git init, first commit, remote origin'),
  ).action(action(async () => (await import('./commands/sync.js')).roomRemote));
}

function registerMemory(program: Command): void {
  const memory = program.command('memory').description('set, get, list, search, watch and remove memories');
  specCommand(memory, MEMORY_SET)
    .action(action(async () => (await import('./commands/memory.js')).memorySet));
  specCommand(memory, MEMORY_GET)
    .action(action(async () => (await import('./commands/memory.js')).memoryGet));
  specCommand(memory, MEMORY_LS)
    .action(action(async () => (await import('./commands/memory.js')).memoryLs));
  common(memory.command('rm').argument('<key>', 'memory key').description('delete a memory and the folders it leaves empty'))
    .action(action(async () => (await import('./commands/memory.js')).memoryRm));

  common(
    memory
      .command('subscribe')
      .argument('[pattern]', 'glob on keys: * within a segment, ** across segments (default **)')
      .description('print one JSON line per change to matching memories until Ctrl-C'),
  )
    .option('--since <cursor>', 'first replay the logged events after this cursor')
    .option('--all', 'every room, not just the selected one')
    .action(action(async () => (await import('./commands/subscribe.js')).memorySubscribe));
}

function registerDaemon(program: Command): void {
  const daemon = program.command('daemon').description('the watcher daemon: keeps the index and event log in step with the files');
  common(daemon.command('start').description('start the daemon for this home in the background'))
    .option('--foreground', 'run in this process (for service managers and tests)')
    .option('--wait <seconds>', 'how long to wait for it to be ready before saying it is still starting (default 20)')
    .action(action(async () => (await import('./commands/daemon.js')).daemonStart));
  common(daemon.command('stop').description('stop the daemon and wait for it to exit'))
    .action(action(async () => (await import('./commands/daemon.js')).daemonStop));
  common(daemon.command('status').description('say whether the daemon runs (exit 0) or not (exit 1)'))
    .action(action(async () => (await import('./commands/daemon.js')).daemonStatus));
}

function registerStatus(program: Command): void {
  common(program.command('status').description('daemon, model, and per room: memories, pending events, index lag, problem files'))
    .action(action(async () => (await import('./commands/status.js')).status));
}

function registerSearch(program: Command): void {
  const memory = program.commands.find((c) => c.name() === 'memory')!;
  specCommand(memory, MEMORY_SEARCH)
    .action(action(async () => (await import('./commands/search.js')).memorySearch));
  common(memory.command('reindex').description("rebuild the room's search index from the files"))
    .addOption(new Option('--mode <mode>', 'bm25 skips the embeddings').choices(['hybrid', 'bm25']))
    .action(action(async () => (await import('./commands/search.js')).memoryReindex));
}

function registerSync(program: Command): void {
  common(program.command('sync').description('sync rooms with their git remote or mycelium server'))
    .option('--all', 'sync every shared room')
    .option('--token <token>', 'server token (default: MYCELIUM_TOKEN; never stored)')
    .action(action(async () => (await import('./commands/sync.js')).sync));
}

function registerServe(program: Command): void {
  common(program.command('serve').description('serve this home\'s rooms over HTTP (JSON API, change feed, events)'))
    .option('--host <host>', 'address to bind; anything but loopback needs a token', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '8000')
    .option('--token <token>', 'bearer token clients must send (default: MYCELIUM_TOKEN)')
    .option('--rate-limit <n>', 'requests a minute per client address, 0 for no limit (default 6000)')
    .option('--allow-host <name>', 'on a loopback bind, also answer requests whose Host is this name (repeat for several)', (name: string, all: string[] = []) => [...all, name])
    .action(action(async () => (await import('./commands/serve.js')).serve));
}

function registerAdapter(program: Command): void {
  const adapter = program.command('adapter').description('install mycelium into an agent host: claude-code (skill, --mcp, --hooks), codex (AGENTS.md + MCP), cursor (rule + MCP)');
  common(adapter.command('add').argument('<agent>', 'the agent: claude-code, codex or cursor').description('install mycelium for an agent (idempotent; a file it changes is backed up)'))
    .option('--mcp', "claude-code: also register `mycelium mcp` in the agent's MCP servers")
    .option('--hooks', 'claude-code: add the SessionStart and UserPromptSubmit hooks that inject the digest')
    .option('--user', 'for every project: user settings instead of this repository\'s (hooks, AGENTS.md, mcp.json)')
    .action(action(async () => (await import('./commands/adapter.js')).adapterAdd));
  common(adapter.command('remove').argument('<agent>', 'the agent: claude-code, codex or cursor').description('remove exactly what `add` installed, restoring files it replaced'))
    .option('--user', 'the user-scope hooks, AGENTS.md or mcp.json instead of this repository\'s')
    .option('--force', 'remove a skill or rule file even if it was changed since it was installed')
    .action(action(async () => (await import('./commands/adapter.js')).adapterRemove));
  common(adapter.command('ls').argument('[agent]', 'the agent: claude-code, codex or cursor').description('show what is installed and whether it is current'))
    .action(action(async () => (await import('./commands/adapter.js')).adapterLs));
}

function registerMcp(program: Command): void {
  common(program.command('mcp').description('run the MCP server on stdin/stdout (for Claude Code, Claude Desktop, Cursor, …)'))
    .action(action(async () => (await import('./commands/mcp.js')).mcp));
}

function registerDoctor(program: Command): void {
  common(program.command('doctor').description('check this machine end to end and say how to fix what is wrong'))
    .action(action(async () => (await import('./commands/doctor.js')).doctor));
}

function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run a self-contained tour in a temporary home and clean up')
    .action(action(async () => (await import('./commands/demo.js')).demo));
}

/** Set by main: the command line asked for --json, so a usage error is JSON on stdout too. */
let jsonRequested = false;

function usageError(message: string, write: (text: string) => void): void {
  write(`mycelium: ${message}\n`);
  if (jsonRequested) printJson(errorJson(new UsageError(message)));
}

/** A value like `-x` still reads as an option: say how to pass it. */
function unknownOptionHint(text: string): string {
  return /unknown option/.test(text) ? "; if it is a value, put '--' before it (e.g. mycelium memory set KEY -- '-x')" : '';
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram(argv[2]);
  const end = argv.indexOf('--');
  jsonRequested = (end === -1 ? argv : argv.slice(0, end)).includes('--json');
  try {
    await program.parseAsync(markDashValues(argv));
  } catch (err) {
    if (err instanceof CommanderError) {
      const done = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      process.exitCode = done ? ExitCode.ok : ExitCode.invalid;
      return;
    }
    throw err;
  }
}

export type { CommonOptions };
