import { Option, type Command } from 'commander';
import { action, common } from './wiring.js';

/** `room synthesize`, `room catchup`, `room trigger set|clear|show|run`, `room create --trigger`, `ingest log|stats|flush` (issue 17). */
export function registerSynthesis(program: Command): void {
  const room = program.commands.find((c) => c.name() === 'room') ?? program.command('room');
  common(room.command('synthesize').description('write synthesis/<UTC time> summing up what changed since the last one; context/synthesis points at it'))
    .addOption(new Option('--llm', 'ask the configured [llm] (error when none is configured)'))
    .addOption(new Option('--no-llm', 'write the plain digest even when an LLM is configured'))
    .action(action(async () => (await import('./commands/synthesis.js')).roomSynthesize));
  common(room.command('catchup').description('for an agent joining late: the newest synthesis, then what changed after it'))
    .option('--limit <n>', 'show at most N changes after the synthesis (default 20)')
    .action(action(async () => (await import('./commands/synthesis.js')).roomCatchup));

  const trigger = room.command('trigger').description("the room's synthesis trigger (stored in the room, so it syncs with it)");
  common(trigger.command('set').argument('<spec>', 'threshold:N — synthesize when N memories changed since the last synthesis').description('set the trigger'))
    .action(action(async () => (await import('./commands/synthesis-trigger.js')).triggerSet));
  common(trigger.command('clear').description('remove the trigger'))
    .action(action(async () => (await import('./commands/synthesis-trigger.js')).triggerClear));
  common(trigger.command('show').description('show the trigger and how many changes are pending'))
    .action(action(async () => (await import('./commands/synthesis-trigger.js')).triggerShow));
  common(trigger.command('run').description('synthesize now if the threshold is reached (what the daemon and writes do by themselves)'))
    .option('--counted', "check the write counter first and walk the room only when it reaches the threshold (what a write starts where no daemon runs)")
    .action(action(async () => (await import('./commands/synthesis-trigger.js')).triggerRun));

  const ingest = program.command('ingest').description('the knowledge-ingest forwarder: [knowledge_ingest] in config.toml');
  common(ingest.command('log').description('the latest forwarding attempts (ok, deduped, refused, skipped, disabled, error, queued)'))
    .option('--limit <n>', 'the newest N (default 20)')
    .action(action(async () => (await import('./commands/synthesis-ingest.js')).ingestLog));
  common(ingest.command('stats').description('attempts by outcome, and what waits in the outbox'))
    .action(action(async () => (await import('./commands/synthesis-ingest.js')).ingestStatsCommand));
  common(ingest.command('flush').description('deliver what is due in the outbox now (the daemon does this by itself)'))
    .action(action(async () => (await import('./commands/synthesis-ingest.js')).ingestFlush));

  // `room create NAME --trigger threshold:N`: the same command, with the trigger set right after.
  const create = room.commands.find((c) => c.name() === 'create');
  create
    ?.option('--trigger <spec>', 'threshold:N — synthesize when N memories changed since the last synthesis')
    .action(action(async () => (await import('./commands/synthesis-trigger.js')).roomCreateWithTrigger));
}
