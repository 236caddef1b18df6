import type { Command } from 'commander';
import { action, common } from './wiring.js';

/**
 * The messages commands (issue 12), one register function per top-level command, so that a command
 * line builds only its own command's flags (`inbox` does not pay for `await`'s or `agent`'s).
 */
export const MESSAGES_REGISTRATIONS: [names: string[], register: (program: Command) => void][] = [
  [['room'], registerRoomMessages],
  [['inbox'], registerInbox],
  [['watch'], registerWatch],
  [['await'], registerAwait],
  [['agent'], registerAgent],
];

/** `room send`, `room messages`, `inbox`, `watch`, `await`, `agent …` (issue 12). */
export function registerMessages(program: Command): void {
  for (const [, register] of MESSAGES_REGISTRATIONS) register(program);
}

function registerRoomMessages(program: Command): void {
  const room = program.commands.find((c) => c.name() === 'room') ?? program.command('room');
  common(room.command('send').argument('[text]', "message text, or '-' for stdin").description('send a message to the room; @handle mentions reach inboxes'))
    .option('--to <handles>', 'explicit recipients, comma-separated')
    .option('--re <id>', 'the message this answers')
    .option('--kind <kind>', 'say, ask, reply, start, done, need, up, down, block (default say)')
    .option('--ref <ref>', 'a branch, file or memory this is about')
    .action(action(async () => (await import('./commands/messages.js')).roomSend));
  common(room.command('messages').description('messages in the room, oldest first, one line each'))
    .option('--since <id|date>', 'only after this message id, or from this date')
    .option('--from <handle>', 'only from this handle')
    .option('--mention <handle>', 'only mentioning this handle')
    .option('--thread <id>', 'only this thread')
    .option('--limit <n>', 'the newest N')
    .action(action(async () => (await import('./commands/messages.js')).roomMessages));
}

function registerInbox(program: Command): void {
  common(program.command('inbox').description('unread messages addressed to this handle, oldest first'))
    .option('--peek', 'do not advance the read cursor')
    .option('--all', 'include broadcasts')
    .option('--limit <n>', 'at most N messages')
    .option('--open', "what is open instead: asks to you with no answer, your needs with no 'up', peers' blocks (reads no cursor)")
    .action(action(async () => (await import('./commands/messages.js')).inbox));
}

function registerWatch(program: Command): void {
  common(program.command('watch').description('a live tail of the room for a person: messages and memory changes, one line each'))
    .option('--all', 'every room, not just the selected one')
    .action(action(async () => (await import('./commands/watch.js')).watch));
}

function registerAwait(program: Command): void {
  common(program.command('await').description('wait for a message addressed to this handle; print it as one JSON line (exit 0) or a timeout (exit 1)'))
    .option('--timeout <seconds>', 'give up after this many seconds')
    .option('--all', 'broadcasts count too')
    .option('--loop', 'keep going: run --exec CMD for each item (the resident agent loop)')
    .option('--exec <cmd>', 'with --loop: shell command each item is piped to as JSON on stdin')
    .option('--skip-failed', 'with --loop: move past an item whose CMD failed instead of retrying it')
    .action(action(async () => (await import('./commands/await.js')).awaitCommand));
}

function registerAgent(program: Command): void {
  const agent = program.command('agent').description("agent cards: register, list, presence, notes");
  common(agent.command('register').description("write this handle's card (agents/<handle>.md) and mark it seen"))
    .option('--role <role>', 'what the agent is, e.g. reviewer (omit to keep the current one)')
    .option('--description <text>', 'what it does (omit to keep the current one)')
    .action(action(async () => (await import('./commands/agents.js')).agentRegister));
  common(agent.command('card').argument('[handle]', 'whose card (default: this handle)').description("print an agent's card"))
    .action(action(async () => (await import('./commands/agents.js')).agentCard));
  common(agent.command('ls').description('agents in the room: handle, role, online (seen within 15 minutes) or offline'))
    .action(action(async () => (await import('./commands/agents.js')).agentLs));
  common(agent.command('heartbeat').description("refresh this handle's last_seen"))
    .action(action(async () => (await import('./commands/agents.js')).agentHeartbeat));
  common(
    agent
      .command('notes')
      .argument('[action]', 'get (default) or set')
      .argument('[value]', "for set: the notes, or '-' for stdin")
      .description("this handle's own durable notes (agents/<handle>/notes)"),
  ).action(action(async () => (await import('./commands/agents.js')).agentNotes));
}
