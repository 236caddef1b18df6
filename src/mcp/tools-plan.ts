import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { claimVerb, claimsVerb, handoffVerb, releaseVerb, renewVerb } from '../coord/claims/verbs.js';
import { planAddVerb, planClaimVerb, planCloseVerb, planReadyVerb, planTasksVerb } from '../coord/plan/verbs.js';
import { promptSafe } from '../coord/prompt-safe.js';
import { roomArg, tool, type ToolKit } from './tool-kit.js';

const handleArg = z.string().optional().describe('who is acting (default: the server default, MYCELIUM_AGENT_HANDLE, config, OS user)');
const idArg = z.string().describe('task id, e.g. t-7k2f');
const stallArg = z.string().optional().describe('how long an owner may go unseen before its task is stalled: 90s, 10m, 2h, 1d (default 30m)');
const claimIdArg = z.string().describe('claim id, e.g. c-1a2b3c4d');
const epochArg = z.number().int().optional().describe('refuse unless the claim is still at this epoch');

/**
 * The plan and claims as MCP tools (issue 13): plan_tasks, plan_task_add, plan_task_claim,
 * plan_task_done, plan_ready, claim, claim_renew, claim_handoff, release, claims. Each passes its arguments to the same verb
 * schema the CLI and HTTP use; task text written by other agents comes back as data, not instructions.
 */
export function registerPlanTools(server: McpServer, kit: ToolKit): void {
  type Args = Record<string, unknown> & { room?: string; handle?: string };
  const run = (body: (args: Args, handle: string, room: Awaited<ReturnType<ToolKit['openRoom']>>['room']) => Promise<unknown>) =>
    tool(async (args: Args) => {
      const { ctx, room } = await kit.openRoom(args);
      const raw = await body(args, ctx.handle, room);
      const result = Array.isArray(raw) || raw === undefined || raw === null ? { result: raw ?? null } : raw;
      // Task texts and checkpoints were written by other agents and reach a prompt: defuse tag-like text.
      return JSON.parse(JSON.stringify(result, (_k, v) => (typeof v === 'string' ? promptSafe(v) : v))) as Record<string, unknown>;
    });

  server.registerTool(
    'plan_tasks',
    {
      title: 'List plan tasks',
      description: "The room's plan (plan/tasks.md): open tasks by default with id, status (ready, blocked, claimed, stalled, done, dropped), owner, needs and what blocks them.",
      inputSchema: {
        all: z.boolean().optional().describe('done and dropped too'),
        mine: z.boolean().optional().describe('only mine'),
        ready: z.boolean().optional().describe('only tasks that can start now'),
        owner: z.string().optional().describe('only tasks this handle owns'),
        stall: stallArg,
        room: roomArg,
        handle: handleArg,
      },
    },
    run((args, handle, room) => planTasksVerb(room, handle, args)),
  );
  server.registerTool(
    'plan_task_add',
    {
      title: 'Add a plan task',
      description: 'Add a task at the end of the plan; returns it with its new id.',
      inputSchema: {
        text: z.string().describe('what is to be done, one line'),
        owner: z.string().optional().describe('who owns it'),
        needs: z.array(z.string()).optional().describe('task ids it needs first'),
        room: roomArg,
        handle: handleArg,
      },
    },
    run((args, handle, room) => planAddVerb(room, handle, args)),
  );
  server.registerTool(
    'plan_task_claim',
    {
      title: 'Claim a plan task',
      description: 'Take a task: succeeds if it is open and unowned, already yours, or its owner stalled; else an error naming the holder.',
      inputSchema: { id: idArg, stall: stallArg, room: roomArg, handle: handleArg },
    },
    run((args, handle, room) => planClaimVerb(room, handle, args)),
  );
  server.registerTool(
    'plan_task_done',
    {
      title: 'Mark plan tasks done',
      description: 'Mark one or more tasks done (records who).',
      inputSchema: { ids: z.array(z.string()).describe('task ids'), room: roomArg, handle: handleArg },
    },
    run((args, handle, room) => planCloseVerb(room, handle, args, 'done')),
  );
  server.registerTool(
    'plan_ready',
    {
      title: 'Next ready task',
      description: 'The next task ready for you (yours first, then unowned, then stalled); with claim, claim it in the same step. result null when nothing is ready.',
      inputSchema: { claim: z.boolean().optional().describe('claim it too'), stall: stallArg, room: roomArg, handle: handleArg },
    },
    run((args, handle, room) => planReadyVerb(room, handle, args)),
  );
  server.registerTool(
    'claim',
    {
      title: 'Claim files',
      description: 'Lease paths so no one else edits them. Refused (naming holder and claim) if a live claim by someone else overlaps. Returns the claim with its id and epoch.',
      inputSchema: {
        paths: z.array(z.string()).describe('files or folders relative to the repository; empty = the whole tree'),
        ttl: z.string().optional().describe('90s, 30m, 2h, 7d (30 s … 30 days, default 30m)'),
        task: z.string().optional().describe('the plan task this is for'),
        worktree: z.string().optional().describe('the worktree (different worktrees never conflict)'),
        checkpoint: z.string().optional().describe('where the work stands'),
        room: roomArg,
        handle: handleArg,
      },
    },
    run((args, handle, room) => claimVerb(room, handle, args)),
  );
  server.registerTool(
    'claim_renew',
    {
      title: 'Renew a claim',
      description: 'Extend one of your claims: a new epoch and claimed_at, written only once half its TTL has passed (renewed false otherwise) or when ttl or checkpoint is given.',
      inputSchema: {
        id: claimIdArg,
        epoch: epochArg,
        ttl: z.string().optional().describe('a new TTL: 90s, 30m, 2h, 7d'),
        checkpoint: z.string().optional().describe('where the work stands now'),
        room: roomArg,
        handle: handleArg,
      },
    },
    run((args, handle, room) => renewVerb(room, handle, args)),
  );
  server.registerTool(
    'claim_handoff',
    {
      title: 'Hand a claim off',
      description: 'Give one of your claims to another agent in one step (its scope is re-checked against third parties); returns the claim with its new holder and epoch.',
      inputSchema: { id: claimIdArg, to: z.string().describe('the handle that takes it'), epoch: epochArg, room: roomArg, handle: handleArg },
    },
    run(async (args, handle, room) => ({ claim: await handoffVerb(room, handle, args) })),
  );
  server.registerTool(
    'release',
    {
      title: 'Release claims',
      description: 'Release one of your claims by id (epoch optional), or all of them.',
      inputSchema: {
        id: z.string().optional().describe('claim id, e.g. c-1a2b3c4d'),
        all: z.boolean().optional().describe('every claim you hold'),
        epoch: epochArg,
        room: roomArg,
        handle: handleArg,
      },
    },
    run(async (args, handle, room) => ({ released: await releaseVerb(room, handle, args) })),
  );
  server.registerTool(
    'claims',
    {
      title: 'List claims',
      description: 'Live claims in the room: holder, paths, epoch, expiry, and clashes found after a git sync.',
      inputSchema: { mine: z.boolean().optional(), all: z.boolean().optional().describe('expired ones too'), room: roomArg, handle: handleArg },
    },
    run((args, handle, room) => claimsVerb(room, handle, args)),
  );
}
