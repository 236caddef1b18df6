import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { addHooks, hooksTarget } from '../../src/adapters/claude-hooks.js';
import { requireRoom, resolveContext } from '../../src/config.js';
import { registerAgent } from '../../src/coord/agents.js';
import { validateHandle } from '../../src/coord/handle.js';
import { InvalidInputError, LaunchFailedError } from '../../src/errors.js';
import { Room, roomOptions } from '../../src/room.js';
import { notice, printLine, type CommonOptions } from '../output.js';

/** The words after `--` on the command line: the agent command, taken as written. */
function agentCommand(): string[] {
  const at = process.argv.indexOf('--');
  return at < 0 ? [] : process.argv.slice(at + 1);
}

/**
 * `mycelium launch HANDLE [DIR] -- COMMAND...`: registers the agent in the room, makes sure the
 * Claude Code hooks are in DIR's project settings, and runs COMMAND in DIR with
 * MYCELIUM_AGENT_HANDLE and MYCELIUM_ROOM set, so one line starts a coordinated session. Its exit
 * code is the command's.
 */
export async function launch(handleInput: string, rest: string[], options: CommonOptions & { role?: string }): Promise<void> {
  const handle = validateHandle(handleInput);
  const command = agentCommand();
  if (command.length === 0) throw new InvalidInputError('launch needs the agent command after --, e.g. `mycelium launch ana . -- claude`');
  const before = rest.slice(0, rest.length - command.length);
  if (before.length > 1) throw new InvalidInputError(`launch takes one folder before --, got ${before.length}; e.g. \`mycelium launch ${handle} ./repo -- claude\``);
  const dir = resolve(before[0] ?? '.');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InvalidInputError(`'${dir}' is not a folder; pass the folder the agent works in`);
  const context = resolveContext({ room: options.room, handle, cwd: dir, env: process.env });
  const roomName = requireRoom(context);
  const room = await Room.open(context.home, roomName, roomOptions(process.env));
  await registerAgent(room, handle, { role: options.role });
  const hooks = await addHooks(hooksTarget({ cwd: dir, env: process.env }));
  if (hooks.state !== 'unchanged') notice(`mycelium: hooks ${hooks.state} in ${hooks.settings}`);
  const child = spawn(command[0], command.slice(1), {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, MYCELIUM_AGENT_HANDLE: handle, MYCELIUM_ROOM: roomName, MYCELIUM_HOME: context.home },
  });
  const code = await new Promise<number>((done, fail) => {
    child.once('error', (err) => fail(new LaunchFailedError(`cannot start '${command[0]}' (${(err as NodeJS.ErrnoException).code ?? err.message}); is it installed and on PATH?`)));
    child.once('exit', (status, signal) => done(status ?? 128 + (signal ? constants.signals[signal] ?? 0 : 0)));
  });
  if (options.json) printLine(JSON.stringify({ handle, room: roomName, dir, exit_code: code }));
  process.exitCode = code;
}
