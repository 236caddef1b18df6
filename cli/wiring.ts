import { Option, type Command } from 'commander';
import { unmarkDashValues } from './dash-values.js';
import { runCommand, setQuiet } from './output.js';
import { COMMON_FLAGS, type FlagSpec, type VerbSpec } from './verb-spec.js';

// Command bodies are imported only when their command runs, so `memory set/get/ls` start fast.
export type Loader = () => Promise<(...args: any[]) => Promise<void>>;

export function common(command: Command): Command {
  return addFlags(command, COMMON_FLAGS);
}

function addFlags(command: Command, flags: FlagSpec[]): Command {
  for (const flag of flags) {
    const option = new Option(flag.flags, flag.description);
    if (flag.choices) option.choices(flag.choices);
    if (flag.default !== undefined) option.default(flag.default);
    if (flag.repeat) option.argParser((value: string, all: string[] = []) => [...all, value]);
    command.addOption(option);
  }
  return command;
}

/** The commander command of a verb declared as data (cli/verb-spec.ts; the hot verbs' fast path parses the same spec). */
export function specCommand(parent: Command, spec: VerbSpec): Command {
  const command = parent.command(spec.words[spec.words.length - 1]).description(spec.description);
  for (const arg of spec.args) command.argument(arg.name, arg.description);
  if (spec.common) common(command);
  return addFlags(command, spec.flags);
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
