import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { resolveContext, requireRoom, type Context } from '../config.js';
import { MyceliumError, errorReply } from '../errors.js';
import { Room, roomOptions } from '../room.js';
import type { Settings } from '../settings.js';

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

/**
 * Arguments that fail a tool's input schema (a string for a number, a missing key) and unknown tools
 * are answered by the SDK itself, as an `isError` result in its own words. This says them the way
 * every other tool error is said, `<code>: <message>`: `invalid_input: …` and `unknown_tool: …`.
 * (The SDK's hook for it is not public; without it the SDK's own isError text stays.)
 */
export function uniformToolErrors(server: McpServer): void {
  const sdk = server as unknown as { createToolError?: (message: string) => CallToolResult };
  const original = sdk.createToolError?.bind(server);
  if (typeof original !== 'function') return;
  sdk.createToolError = (message: string) => {
    const text = message.replace(/^MCP error -?\d+: /, '');
    const code = /^Tool \S+ (not found|disabled)$/.test(text) ? 'unknown_tool' : 'invalid_input';
    return original(`${code}: ${text}`);
  };
}

export interface ToolKit {
  /** The call's context: its room and handle, else the session's room (room_use), the server's defaults, env and config as in the CLI. */
  context(args?: { room?: string; handle?: string }): Context;
  /** The call's context and its room, opened. */
  openRoom(args: { room?: string; handle?: string }): Promise<{ ctx: Context; room: Room }>;
  /** `room_use`: later calls of this session that name no room use this one. */
  useRoom(name: string): void;
  /** Where the project config is looked up (the folder the host started the server in). */
  cwd(): string;
  /** The settings the face read once (the environment is `settings.env`). */
  settings: Settings;
}

/** `settings`: what the face read from its environment once (context, value limit). */
export function toolKit(options: McpServerOptions, settings: Settings): ToolKit {
  let sessionRoom: string | undefined;
  const rooms = roomOptions(settings.env);
  const context = (args: { room?: string; handle?: string } = {}) =>
    resolveContext({ room: args.room ?? sessionRoom ?? options.room, handle: args.handle ?? options.handle, cwd: options.cwd, env: settings.env });
  return {
    context,
    useRoom: (name) => (sessionRoom = name),
    cwd: () => options.cwd ?? process.cwd(),
    settings,
    openRoom: async (args) => {
      const ctx = context(args);
      return { ctx, room: await Room.open(ctx.home, requireRoom(ctx), rooms) };
    },
  };
}
