import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { awaitEvent } from '../coord/negotiation/events.js';
import { defaultPlanPort } from '../coord/negotiation/plan-choice.js';
import { joinFromJson, openFromJson, parseAwaitTimeout, parseRespond, proposalFromJson } from '../coord/negotiation/schema.js';
import { sessionStatus } from '../coord/negotiation/status.js';
import { type NegotiationDeps, joinSession, openNegotiation, replyToRound } from '../coord/negotiation/store.js';
import { llmForHome } from '../coord/llm.js';
import { roomArg, tool, type ToolKit } from './tool-kit.js';

/** The plan and config.toml's `[llm]`. */
const depsFor = (home: string): NegotiationDeps => ({ plan: defaultPlanPort, llm: llmForHome(home) });
const handleArg = z.string().optional().describe('who is negotiating (default: MYCELIUM_AGENT_HANDLE, config, OS user)');
const ranking = z.union([z.record(z.string(), z.array(z.string())), z.array(z.string())]);
/** An MCP call should not hang the host for long: one await waits at most this long. */
const MAX_AWAIT_S = 60;

/** The negotiation tools (issue 14): the same schema and library calls as `session`/`negotiate` on the CLI. */
export function registerNegotiateTools(server: McpServer, kit: ToolKit): void {
  server.registerTool(
    'session_join',
    {
      title: 'Join the negotiation',
      description:
        "Join the room's open negotiation session (a new one when none is open; twice is a no-op). prefer ranks an issue's options best first, e.g. {\"api\": [\"rest\", \"graphql\"]}; limit lists options you will not accept.",
      inputSchema: {
        message: z.string().optional().describe('your opening position, in words'),
        prefer: ranking.optional(),
        weight: z.record(z.string(), z.number()).optional().describe('how much each issue matters (default 1)'),
        limit: ranking.optional().describe('options you will not accept, per issue'),
        room: roomArg,
        handle: handleArg,
      },
    },
    tool(async (args: { message?: string; prefer?: unknown; weight?: unknown; limit?: unknown; room?: string; handle?: string }) => {
      const { ctx, room } = await kit.openRoom(args);
      return { ...(await joinSession(room, ctx.handle, joinFromJson(args), depsFor(ctx.home))) };
    }),
  );

  server.registerTool(
    'session_await',
    {
      title: 'Wait for your turn',
      description:
        'Wait for your next negotiation event: a tick (answer with negotiate_respond, or negotiate_propose when can_counter_offer), the consensus, an error, or a timeout (ask again).',
      inputSchema: { timeout: z.number().positive().max(MAX_AWAIT_S).optional().describe('seconds, at most 60 (default 30)'), room: roomArg, handle: handleArg },
    },
    tool(async (args: { timeout?: number; room?: string; handle?: string }) => {
      const { ctx, room } = await kit.openRoom(args);
      return { ...(await awaitEvent(room, ctx.handle, depsFor(ctx.home), { timeoutS: Math.min(MAX_AWAIT_S, parseAwaitTimeout(args.timeout ?? 30)) })) };
    }),
  );

  server.registerTool(
    'negotiate_open',
    {
      title: 'Open a negotiation',
      description: "Set the issues and options of the room's open session (creating one), e.g. issues {\"api\": [\"rest\", \"graphql\"]}.",
      inputSchema: {
        issues: ranking.optional(),
        rounds: z.number().int().min(1).max(1000).optional(),
        join_window: z.union([z.string(), z.number()]).optional().describe('e.g. 30s'),
        round_timeout: z.union([z.string(), z.number()]).optional().describe('e.g. 300s'),
        participants: z.array(z.string()).optional().describe('start as soon as these have joined'),
        room: roomArg,
        handle: handleArg,
      },
    },
    tool(async (args: Record<string, unknown> & { room?: string; handle?: string }) => {
      const { ctx, room } = await kit.openRoom(args);
      const session = await openNegotiation(room, ctx.handle, openFromJson(args), depsFor(ctx.home));
      return { ...(await sessionStatus(room, session.id)) };
    }),
  );

  server.registerTool(
    'negotiate_propose',
    {
      title: 'Counter the standing offer',
      description: 'Counter the standing offer (only when your tick says can_counter_offer). Issues you leave out keep the standing value.',
      inputSchema: { offer: z.record(z.string(), z.string()).describe('issue -> value, e.g. {"api": "rest"}'), room: roomArg, handle: handleArg },
    },
    tool(async (args: { offer: Record<string, string>; room?: string; handle?: string }) => {
      const { ctx, room } = await kit.openRoom(args);
      return { ...(await replyToRound(room, ctx.handle, { action: 'propose', proposal: proposalFromJson(args) }, depsFor(ctx.home))) };
    }),
  );

  server.registerTool(
    'negotiate_respond',
    {
      title: 'Answer the standing offer',
      description: 'Answer the current round: accept, reject, or end (ends the session without agreement).',
      inputSchema: { answer: z.enum(['accept', 'reject', 'end']), room: roomArg, handle: handleArg },
    },
    tool(async (args: { answer: string; room?: string; handle?: string }) => {
      const { ctx, room } = await kit.openRoom(args);
      return { ...(await replyToRound(room, ctx.handle, { action: parseRespond(args.answer) }, depsFor(ctx.home))) };
    }),
  );

  server.registerTool(
    'negotiate_status',
    {
      title: 'Negotiation status',
      description: "The session's round, each issue's standing value and options, who has replied, active or concluded.",
      inputSchema: { session: z.string().optional(), room: roomArg, handle: handleArg },
    },
    tool(async (args: { session?: string; room?: string; handle?: string }) => {
      const { ctx, room } = await kit.openRoom(args);
      return { ...(await sessionStatus(room, args.session, ctx.handle)) };
    }),
  );
}
