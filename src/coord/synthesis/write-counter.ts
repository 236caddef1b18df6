import { appendFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../../fs-atomic.js';
import { triggersDir, writeCounterPath } from '../../home-paths.js';

/**
 * A count of the writes mycelium made to a room since its trigger was last checked in full, kept
 * where no daemon runs (issue 17): a write appends one byte to
 * `$MYCELIUM_HOME/triggers/<room>.count` (append is atomic for one byte, so racing writers need no
 * lock), and the trigger check reads the file's size instead of walking the room. It may overcount
 * (a message, the same key twice): the check then walks once and sets the count to what it found.
 * Local state of this machine, like the index: the trigger itself syncs with the room.
 * Kept free of synthesis code: `memory set` loads this file.
 */
export { writeCounterPath } from '../../home-paths.js';

/**
 * Counts one write (synchronous and tiny: it runs after a write has returned its result). With no
 * count yet (a new trigger, or one just set or cleared) it counts nothing: the check then walks
 * the room once and starts the count from what it found, so changes made before are not missed.
 */
export function countWrite(home: string, room: string): void {
  const path = writeCounterPath(home, room);
  if (existsSync(path)) appendFileSync(path, '.');
}

/** Forgets the count (the trigger changed): the next check walks the room. */
export function forgetWritesCounted(home: string, room: string): void {
  rmSync(writeCounterPath(home, room), { force: true });
}

/** The writes counted, or undefined when nothing has been counted yet (the check then walks once). */
export function writesCounted(home: string, room: string): number | undefined {
  try {
    return statSync(writeCounterPath(home, room)).size;
  } catch {
    return undefined;
  }
}

/** Sets the count to what a full check found (after a walk, or 0 after a synthesis). */
export async function setWritesCounted(home: string, room: string, count: number): Promise<void> {
  mkdirSync(triggersDir(home), { recursive: true });
  await writeFileAtomic(writeCounterPath(home, room), '.'.repeat(Math.max(0, count)));
}
