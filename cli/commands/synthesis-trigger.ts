import { llmForHome } from '../../src/coord/llm.js';
import {
  clearTrigger,
  formatTrigger,
  pendingChanges,
  readTrigger,
  runTriggerIfDue,
  setTrigger,
  triggerSpec,
} from '../../src/coord/synthesis/index.js';
import { triggerByDaemon } from '../../src/daemon/client.js';
import { createRoom } from '../../src/rooms.js';
import { contextFrom, openRoom } from '../context.js';
import { printJson, printLine, type CommonOptions } from '../output.js';

export async function roomCreateWithTrigger(name: string, options: CommonOptions & { trigger?: string }): Promise<void> {
  if (options.trigger === undefined) return (await import('./room.js')).roomCreate(name, options);
  const trigger = triggerSpec(options.trigger); // before the room exists: a bad spec creates nothing
  const context = contextFrom(options);
  const { room, active } = await createRoom(context.home, name);
  await setTrigger(room, trigger, context.handle);
  if (options.json) return printJson({ room: room.name, path: room.dir, active, trigger: formatTrigger(trigger) });
  printLine(`created room '${room.name}' at ${room.dir}${active ? ' (now the active room)' : ''} with trigger ${formatTrigger(trigger)}`);
}

export async function triggerSet(spec: string, options: CommonOptions): Promise<void> {
  const trigger = triggerSpec(spec);
  const { context, room } = await openRoom(options);
  await setTrigger(room, trigger, context.handle);
  if (options.json) return printJson({ room: room.name, trigger: formatTrigger(trigger) });
  printLine(`room '${room.name}': synthesize after ${trigger.threshold} changed ${trigger.threshold === 1 ? 'memory' : 'memories'} (${formatTrigger(trigger)})`);
}

export async function triggerClear(options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  const cleared = await clearTrigger(room, context.handle);
  if (options.json) return printJson({ room: room.name, cleared });
  printLine(cleared ? `room '${room.name}': trigger cleared` : `room '${room.name}' had no trigger`);
}

export async function triggerShow(options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  const trigger = await readTrigger(room);
  // A running daemon counts from its known state; without one, the room is walked.
  const pending = (await triggerByDaemon(context.home, room.name, { run: false }))?.pending ?? (await pendingChanges(room));
  if (options.json) return printJson({ room: room.name, trigger: trigger ? formatTrigger(trigger) : null, pending });
  printLine(trigger ? `${formatTrigger(trigger)}  (${pending} of ${trigger.threshold} changes pending)` : `no trigger in room '${room.name}' (${pending} changes since the last synthesis)`);
}

export async function triggerRun(options: CommonOptions & { counted?: boolean }): Promise<void> {
  const { context, room } = await openRoom(options);
  const counted = options.counted === true;
  // A running daemon checks from its known state (only files that may have changed since the last
  // synthesis); `--counted` (the detached check after a write, started only when no daemon runs) and
  // a home without a daemon check here.
  const byDaemon = counted ? null : await triggerByDaemon(context.home, room.name, { run: true, handle: context.handle });
  const run = byDaemon?.run ?? (await runTriggerIfDue(room, { handle: context.handle, llm: llmForHome(context.home, process.env), counted }));
  if (options.json) return printJson({ room: room.name, trigger: run.trigger ? formatTrigger(run.trigger) : null, pending: run.pending, synthesis: run.synthesis ?? null });
  if (!run.trigger) return printLine(`no trigger in room '${room.name}'`);
  printLine(run.synthesis ? `${run.synthesis.key}  ${run.synthesis.memory_count} memories  ${run.synthesis.method}` : `${run.pending} of ${run.trigger.threshold} changes; not yet`);
}
