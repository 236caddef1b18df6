import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { llmForHome } from '../coord/llm.js';
import {
  TRIGGER_KEY,
  TriggerRunner,
  catchup,
  catchupLimit,
  clearTrigger,
  formatTrigger,
  pendingChanges,
  readTrigger,
  setTrigger,
  synthesize,
  synthesizeLlm,
  triggerSpec,
} from '../coord/synthesis/index.js';
import { triggerByDaemon } from '../daemon/client.js';
import { runningDaemon } from '../ipc/daemon-info.js';
import { countWrite } from '../coord/synthesis/write-counter.js';
import { flushIngest, forwardWrite, type WriteToForward } from '../ingest/index.js';
import { roomOptions, type Room } from '../room.js';
import { roomArg, tool, type ToolKit } from './tool-kit.js';

const handleArg = z.string().optional().describe('who is acting (default: MYCELIUM_AGENT_HANDLE, config, OS user)');

/** room_synthesize, room_catchup, room_trigger (issue 17): the same library calls as the CLI. */
export function registerSynthesisTools(server: McpServer, kit: ToolKit, env: Record<string, string | undefined> = {}): void {
  server.registerTool(
    'room_synthesize',
    {
      title: 'Sum up a room',
      description:
        'Write synthesis/<UTC time> from the memories changed since the last synthesis and point context/synthesis at it. Without an LLM configured: a digest grouped by folder; with one: What\'s built / Current status / Key decisions / What failed / Open questions / Recommended next actions.',
      inputSchema: {
        room: roomArg,
        llm: z.boolean().optional().describe('true: ask the configured LLM; false: the plain digest; omit: the LLM when one is configured'),
        handle: handleArg,
      },
    },
    tool(async (args: { room?: string; llm?: boolean; handle?: string }) => {
      const { ctx, room } = await kit.openRoom(args);
      const useLlm = synthesizeLlm(args.llm);
      const result = await synthesize(room, { handle: ctx.handle, useLlm, llm: useLlm === false ? undefined : llmForHome(ctx.home, env) });
      return { room: room.name, ...result };
    }),
  );

  server.registerTool(
    'room_catchup',
    {
      title: 'Catch up on a room',
      description: 'For an agent joining late: the newest synthesis (its text), then the memories changed after it (key, by, at, first_line), the contributors and the count.',
      inputSchema: { room: roomArg, limit: z.number().int().min(1).optional().describe('at most this many changes (default 20)') },
    },
    tool(async (args: { room?: string; limit?: number }) => {
      const { room } = await kit.openRoom(args);
      return { ...(await catchup(room, { limit: catchupLimit(args.limit) })) };
    }),
  );

  server.registerTool(
    'room_trigger',
    {
      title: "Show, set or clear a room's synthesis trigger",
      description: 'show: the trigger and how many changes are pending; set: trigger "threshold:N" (synthesize when N memories changed since the last synthesis); clear: remove it.',
      inputSchema: {
        room: roomArg,
        action: z.enum(['show', 'set', 'clear']).describe('what to do'),
        trigger: z.string().optional().describe('for set: threshold:N'),
        handle: handleArg,
      },
    },
    tool(async (args: { room?: string; action: 'show' | 'set' | 'clear'; trigger?: string; handle?: string }) => {
      const { ctx, room } = await kit.openRoom(args);
      if (args.action === 'set') {
        const trigger = triggerSpec(args.trigger);
        await setTrigger(room, trigger, ctx.handle);
        return { room: room.name, trigger: formatTrigger(trigger) };
      }
      if (args.action === 'clear') return { room: room.name, cleared: await clearTrigger(room, ctx.handle) };
      const trigger = await readTrigger(room);
      // A running daemon counts from its known state; without one, the room is walked.
      const pending = (await triggerByDaemon(ctx.home, room.name, { run: false }))?.pending ?? (await pendingChanges(room));
      return { room: room.name, trigger: trigger ? formatTrigger(trigger) : null, pending };
    }),
  );
}

const runners = new Map<string, TriggerRunner>();

/**
 * After an MCP write: queue it for knowledge ingest (when configured); with no daemon running (a
 * daemon sees the write and delivers by itself), deliver, count the write and check the room's
 * trigger in this process from the count, after the tool has answered. One trigger runner per home
 * for the process's life.
 */
export async function afterMemoryWrite(home: string, room: Room, write: WriteToForward, env: Record<string, string | undefined> = {}): Promise<void> {
  const queued = (await forwardWrite(home, env, write).catch(() => undefined)) === 'queued';
  if (runningDaemon(home)) return;
  if (queued) setTimeout(() => void flushIngest(home, env).catch(() => {}), 0); // after the reply
  if (!existsSync(room.pathOf(TRIGGER_KEY))) return; // no trigger: nothing to run
  // Counted in the write counter the CLI's writes count in too, so a check below the threshold reads
  // the counter's size, not the room (the room is walked once it is reached, or with no count yet).
  try {
    countWrite(home, room.name);
  } catch {
    // an uncounted write is caught up by the next full check
  }
  let runner = runners.get(home);
  if (!runner) runners.set(home, (runner = new TriggerRunner(home, { llm: () => llmForHome(home, env), room: roomOptions(env), counted: true })));
  runner.changed(room.name, [write.key]);
}
