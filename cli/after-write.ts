import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TRIGGER_KEY } from '../src/coord/synthesis/trigger.js';
import { runningDaemon } from '../src/daemon/files.js';
import { MyceliumError } from '../src/errors.js';
import { forwardWrite, ingestDir, type WriteToForward } from '../src/ingest/index.js';
import type { Room } from '../src/room.js';
import { warn } from './output.js';

/**
 * What a CLI write sets going once it is done (issue 17), without waiting for any of it:
 * - a deliberate write is queued for the knowledge-ingest forwarder (when configured);
 * - with no daemon running (a daemon sees writes and delivers by itself), a detached
 *   `room trigger run` when the room has a synthesis trigger, and a detached `ingest flush` when
 *   the outbox holds anything. Costs two file checks when neither is configured.
 */
export async function afterWrite(home: string, room: Room, write: WriteToForward): Promise<void> {
  try {
    await forwardWrite(home, process.env, write);
  } catch (err) {
    // The write itself succeeded: say why it was not forwarded, and keep the exit code.
    warn([`warning: not forwarded to knowledge ingest: ${err instanceof MyceliumError ? err.message : String(err)}`]);
  }
  if (runningDaemon(home)) return;
  if (existsSync(room.pathOf(TRIGGER_KEY))) detached(home, ['room', 'trigger', 'run', '--room', room.name, '--handle', 'mycelium']);
  if (outboxHasEntries(home)) detached(home, ['ingest', 'flush']);
}

function outboxHasEntries(home: string): boolean {
  try {
    return readdirSync(join(ingestDir(home), 'outbox')).some((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return false;
  }
}

function detached(home: string, args: string[]): void {
  const entry = process.argv[1];
  if (!entry) return;
  try {
    const child = spawn(process.execPath, [entry, ...args], { detached: true, stdio: 'ignore', env: { ...process.env, MYCELIUM_HOME: home } });
    child.on('error', () => {}); // the next write, the daemon or the command by hand tries again
    child.unref();
  } catch {
    // as above
  }
}
