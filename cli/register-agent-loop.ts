import type { Command } from 'commander';
import { action, common, specCommand } from './wiring.js';
import { DIGEST, HOOK } from './verb-spec.js';

/** `digest`, `hook`, `launch` (issue 15): coordination delivered into the agent's loop. */
export function registerAgentLoop(program: Command): void {
  specCommand(program, DIGEST)
    .action(action(async () => (await import('./commands/digest.js')).digest));
  specCommand(program, HOOK)
    .action(async (event: string) => (await import('./hook.js')).runHook(event));
  common(
    program
      .command('launch')
      .argument('<handle>', 'the agent handle')
      .argument('[dir-and-command...]', 'the folder the agent works in (default: here), then -- and the agent command, e.g. -- claude')
      .description('register an agent, install the hooks for DIR, and run COMMAND there as that handle'),
  )
    .option('--role <role>', 'the role written on the agent card')
    .action(action(async () => (await import('./commands/launch.js')).launch));
}
