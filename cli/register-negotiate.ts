import type { Command } from 'commander';
import { action, common } from './wiring.js';

const collect = (value: string, all: string[] = []) => [...all, value];
/** For a room cloned from a server the negotiation runs there (see negotiate-remote.ts). */
const token = (c: Command) => c.option('--token <token>', 'server token for a room cloned from a server (default: MYCELIUM_TOKEN)');

/** `session join|await`, `negotiate open|propose|respond|status|auto` (issue 14). */
export function registerNegotiate(program: Command): void {
  const load = async () => import('./commands/negotiate.js');
  const session = program.command('session').description('join the room\'s negotiation and wait for your turn');
  token(common(session.command('join').description("join the room's open negotiation session (a new one when none is open); twice is a no-op")))
    .option('-m, --message <text>', 'your opening position, in words')
    .option('--prefer <ISSUE=best>next>...>', 'your ranking of an issue\'s options, best first (repeat per issue)', collect)
    .option('--weight <ISSUE=W>', 'how much an issue matters to you (default 1; repeat per issue)', collect)
    .option('--limit <ISSUE!=OPTION>', 'an option you will not accept (a hard limit; repeatable)', collect)
    .action(action(async () => (await load()).sessionJoin));
  token(common(session.command('await').description('print your next tick, the consensus, or an error as one JSON line and exit')))
    .option('--timeout <seconds>', 'give up after this many seconds: prints {"type":"timeout"} and exits 1 (default 120)')
    .action(action(async () => (await load()).sessionAwait));

  const negotiate = program.command('negotiate').description('state the issues, make offers and answer them');
  token(common(negotiate.command('open').description('set the issues and limits of the room\'s open session (creating one)')))
    .option('--issue <KEY=opt1,opt2,...>', 'an issue and its options (repeat per issue)', collect)
    .option('--rounds <n>', 'round budget before the session ends without agreement (default 20)')
    .option('--join-window <duration>', 'how long joining stays open, e.g. 30s (default 30s)')
    .option('--round-timeout <duration>', 'how long a round waits for every reply, e.g. 300s (default 300s)')
    .option('--participants <handles>', 'start as soon as these (comma-separated) have joined; only they may join')
    .action(action(async () => (await load()).negotiateOpen));
  token(common(negotiate.command('propose').argument('<offer...>', 'ISSUE=VALUE pairs; issues left out keep the standing value').description('counter the standing offer (only when your tick says can_counter_offer)')))
    .action(action(async () => (await load()).negotiatePropose));
  token(common(negotiate.command('respond').argument('<answer>', 'accept, reject or end').description('answer the standing offer of the current round')))
    .action(action(async () => (await load()).negotiateRespond));
  token(common(negotiate.command('status').description("the session's round, each issue's standing value and options, who has replied")))
    .option('--session <id>', 'a session id (default: yours, else the newest)')
    .action(action(async () => (await load()).negotiateStatus));
  token(common(negotiate.command('auto').description('answer your ticks from your stated preferences until the session ends; prints the consensus line')))
    .option('--strategy <name>', 'boulware (default), linear or conceder')
    .option('--timeout <seconds>', 'give up when no tick comes for this long (default 600)')
    .action(action(async () => (await load()).negotiateAuto));
}
