import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TRIGGER_KEY } from '../src/coord/synthesis/trigger-key.js';
import { countWrite } from '../src/coord/synthesis/write-counter.js';
import { runningDaemon } from '../src/ipc/daemon-info.js';
import { MyceliumError } from '../src/errors.js';
import type { WriteToForward } from '../src/ingest/outbox.js';
import { ingestDir, ingestSettings } from '../src/ingest/settings.js';
import type { Room } from '../src/room.js';
import { warn } from './output.js';

/**
 * What a CLI write sets going once it is done (issue 17), without waiting for any of it:
 * - a deliberate write is queued for the knowledge-ingest forwarder (when configured);
 * - with no daemon running (a daemon sees writes and delivers by itself), a detached
 *   `room trigger run` when the room has a synthesis trigger, and a detached `ingest flush` when
 *   the outbox holds anything. Costs two file checks when neither is configured.
 * `memory set` and `room send` run this, so it loads no synthesis code and, unless the forwarder
 * is configured, no ingest code beyond its settings (test/synthesis-ingest.test.ts checks).
 */
export async function afterWrite(home: string, room: Room, write: WriteToForward): Promise<void> {
  try {
    const settings = ingestSettings(home, process.env);
    if (settings.configured) await (await import('../src/ingest/outbox.js')).enqueueIngest(home, settings, write);
  } catch (err) {
    // The write itself succeeded: say why it was not forwarded, and keep the exit code.
    warn([`warning: not forwarded to knowledge ingest: ${err instanceof MyceliumError ? err.message : String(err)}`]);
  }
  if (await notifyDaemon(home, room.name, write.key)) return;
  if (existsSync(room.pathOf(TRIGGER_KEY))) {
    // Counted here, checked in a detached process that reads the count, not the room (the write has returned).
    try {
      countWrite(home, room.name);
    } catch {
      // An uncounted write is caught up by the next full check (the daemon's, or `room trigger run`).
    }
    await detached(home, ['room', 'trigger', 'run', '--counted', '--room', room.name, '--handle', 'mycelium']);
  }
  if (outboxHasEntries(home)) await detached(home, ['ingest', 'flush']);
}

/**
 * Tells a running daemon which key this command just wrote or removed, so a search right after it,
 * from any face, sees the change (read-your-writes). False when no daemon runs.
 */
export async function notifyDaemon(home: string, room: string, key: string): Promise<boolean> {
  if (!runningDaemon(home)) return false;
  await (await import('../src/daemon/client.js')).notifyWritten(home, room, [key]);
  return true;
}

function outboxHasEntries(home: string): boolean {
  try {
    return readdirSync(join(ingestDir(home), 'outbox')).some((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return false;
  }
}

/** node:child_process is loaded only here: it brings net and dgram with it, which a plain `memory set` never needs. */
async function detached(home: string, args: string[]): Promise<void> {
  const entry = process.argv[1];
  if (!entry) return;
  try {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [entry, ...args], { detached: true, stdio: 'ignore', env: { ...process.env, MYCELIUM_HOME: home } });
    child.on('error', () => {}); // the next write, the daemon or the command by hand tries again
    child.unref();
  } catch {
    // as above
  }
}
