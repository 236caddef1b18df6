import { resolveContext } from '../../src/config.js';
import { InvalidInputError } from '../../src/errors.js';
import { validateRoomName } from '../../src/keys.js';
import { Room } from '../../src/room.js';
import { subscribe } from '../../src/watch/subscribe.js';
import { wholeNumber } from '../context.js';
import { notice as say, problem, type CommonOptions } from '../output.js';

/** Prints one JSON line per change until SIGINT/SIGTERM; notices go to stderr. */
export async function memorySubscribe(pattern: string | undefined, options: CommonOptions & { since?: string; all?: boolean }): Promise<void> {
  const context = resolveContext({ room: options.room, handle: options.handle, env: process.env });
  if (options.all && options.room) throw new InvalidInputError('give --room or --all, not both');
  const room = options.all ? undefined : context.room;
  if (room !== undefined) await Room.open(context.home, validateRoomName(room)); // unknown room: clear error
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const where = room === undefined ? 'every room' : `room '${room}'`;
  let endReason: string | null = null;
  try {
    for await (const event of subscribe(context.home, {
      room,
      pattern: pattern ?? '**',
      since: wholeNumber(options.since, '--since'),
      signal: controller.signal,
      log: problem,
      onNotice: (notice) => {
        if (notice.kind === 'ready') {
          const how = notice.source === 'daemon' ? 'from the daemon' : 'watching in-process (no daemon: events have no cursor)';
          say(`mycelium: subscribed to ${pattern ?? '**'} in ${where}, ${how}; cursor ${notice.cursor}`);
        } else if (notice.kind === 'truncated') {
          say(`mycelium: warning: events after --since in room '${notice.room}' were dropped from the bounded log; resync with \`mycelium memory ls\``);
        } else endReason = notice.reason;
      },
    })) {
      process.stdout.write(JSON.stringify(event) + '\n');
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (endReason !== null && !controller.signal.aborted) {
    process.stderr.write(`mycelium: subscription ended: ${endReason}; run it again with --since CURSOR to resume\n`);
    process.exitCode = 4;
  }
}
