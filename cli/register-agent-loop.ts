import type { Command } from 'commander';
import { action, common } from './wiring.js';

/** `digest`, `hook`, `launch` (issue 15): coordination delivered into the agent's loop. */
export function registerAgentLoop(program: Command): void {
  common(program.command('digest').description("this handle's compact view of the room: mentions, claims, tasks, negotiation, decisions"))
    .option('--max-chars <n>', 'length budget, 200 to 10000 (default 4000)')
    .option('--since-cursor', 'only what changed since your last digest; prints nothing when nothing did')
    .action(action(async () => (await import('./commands/digest.js')).digest));
  program
    .command('hook')
    .argument('<event>', 'session-start or prompt')
    .description('what the Claude Code hooks run: reads the hook JSON on stdin, prints the digest, always exits 0')
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
