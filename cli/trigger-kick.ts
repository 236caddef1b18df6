import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { runningDaemon } from '../src/daemon/files.js';
import { TRIGGER_KEY } from '../src/coord/synthesis/trigger.js';
import type { Room } from '../src/room.js';

/**
 * After a CLI write: when the room has a synthesis trigger and no daemon runs (a daemon sees the
 * write itself), start `room trigger run` as a detached process, so the write returns first and a
 * synthesis never runs inside it. Costs one file check when the room has no trigger.
 */
export function kickTrigger(home: string, room: Room): void {
  if (!existsSync(room.pathOf(TRIGGER_KEY)) || runningDaemon(home)) return;
  const entry = process.argv[1];
  if (!entry) return;
  try {
    const child = spawn(process.execPath, [entry, 'room', 'trigger', 'run', '--room', room.name, '--handle', 'mycelium'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, MYCELIUM_HOME: home },
    });
    child.on('error', () => {}); // the next write or `room trigger run` tries again
    child.unref();
  } catch {
    // as above: a trigger that cannot start now runs on a later write
  }
}
