import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { resolveContext, requireRoom, type Context } from '../config.js';
import { MyceliumError, errorReply } from '../errors.js';
import { Room } from '../room.js';

/** What every MCP tool file shares: argument shapes, result wrapping, and how a call finds its room. */

export interface McpServerOptions {
  /** Default room when a call gives none (`mycelium mcp --room`); then env and config, as in the CLI. */
  room?: string;
  /** Default handle when `memory_set` gives none. */
  handle?: string;
  /** Where the project config is looked up; the host starts the server in the project folder. */
  cwd?: string;
}

export const roomArg = z.string().optional().describe('room to use (default: the active room, as in the CLI)');
export const keyArg = z.string().describe('memory key, a path such as decisions/db');

export function ok(result: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(result, null, 2) }], structuredContent: result };
}

export function failure(err: unknown): CallToolResult {
  // The code and what to do, as every face says it; the full message for our own errors.
  const { body } = errorReply(err);
  const text = `${body.error}: ${err instanceof MyceliumError ? err.message : body.message}`;
  return { content: [{ type: 'text', text }], isError: true };
}

/** Runs a tool body; MyceliumErrors (bad key, unknown room, …) become tool errors the agent can read. */
export function tool<A>(body: (args: A) => Promise<Record<string, unknown>>) {
  return async (args: A): Promise<CallToolResult> => {
    try {
      return ok(await body(args));
    } catch (err) {
      return failure(err);
    }
  };
}


export interface ToolKit {
  /** The call's context: its room and handle, else the server's defaults, else env and config as in the CLI. */
  context(args?: { room?: string; handle?: string }): Context;
  /** The call's context and its room, opened. */
  openRoom(args: { room?: string; handle?: string }): Promise<{ ctx: Context; room: Room }>;
}

export function toolKit(options: McpServerOptions): ToolKit {
  const context = (args: { room?: string; handle?: string } = {}) =>
    resolveContext({ room: args.room ?? options.room, handle: args.handle ?? options.handle, cwd: options.cwd });
  return {
    context,
    openRoom: async (args) => {
      const ctx = context(args);
      return { ctx, room: await Room.open(ctx.home, requireRoom(ctx)) };
    },
  };
}
