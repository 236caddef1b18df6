import type { Command } from 'commander';
import { action, common } from './wiring.js';

/** `room add NAME DIR`: rooms that live in any folder (issue 11). */
export function registerRoomFolders(program: Command): void {
  const room = program.commands.find((c) => c.name() === 'room') ?? program.command('room');
  common(
    room
      .command('add')
      .argument('<name>', 'room name')
      .argument('<dir>', 'an existing folder (a notes vault, a repository\'s docs/): used in place, nothing is copied')
      .description('register an existing folder as a room, in place'),
  ).action(action(async () => (await import('./commands/room.js')).roomAdd));
}
