import type { Command } from 'commander';
import { action, common } from './wiring.js';

/** `room send`, `room messages`, `inbox` (issue 12). */
export function registerMessages(program: Command): void {
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
  common(program.command('inbox').description('unread messages addressed to this handle, oldest first'))
    .option('--peek', 'do not advance the read cursor')
    .option('--all', 'include broadcasts')
    .option('--limit <n>', 'at most N messages')
    .action(action(async () => (await import('./commands/messages.js')).inbox));
}
