import type { Command } from 'commander';
import { unmarkDashValues } from './dash-values.js';
import { runCommand, setQuiet } from './output.js';

// Command bodies are imported only when their command runs, so `memory set/get/ls` start fast.
export type Loader = () => Promise<(...args: any[]) => Promise<void>>;

export function common(command: Command): Command {
  return command
    .option('--room <name>', 'room to use (default: MYCELIUM_ROOM, then .mycelium/config.toml, then the active room)')
    .option('--handle <name>', 'who is acting (default: MYCELIUM_AGENT_HANDLE, then config identity, then the OS user)')
    .option('--json', 'print stable JSON instead of text')
    .option('--quiet', 'print only results and errors: no notices, warnings or progress');
}

/** Wires a command to its lazily loaded handler, passing options merged with the global ones. */
export function action(load: Loader) {
  return (...args: unknown[]) => {
    const command = args.pop() as Command;
    const options = command.optsWithGlobals();
    args[args.length - 1] = options;
    setQuiet(options.quiet === true);
    return runCommand(async () => {
      const handler = await load();
      await handler(...args.map(unmarkDashValues));
    }, { json: options.json === true });
  };
}
