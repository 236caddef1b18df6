import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { isOnline, listAgents, readAgent, registerAgent, touchPresence } from '../coord/agents.js';
import { awaitMessage, awaitPayload } from '../coord/messages/await.js';
import { listMessages, readInbox } from '../coord/messages/inbox.js';
import { MAX_FACE_AWAIT_SECONDS, MAX_MESSAGES_PAGE, parseAwaitRequest, parseInboxRequest, parseListRequest, parseRegisterRequest, parseSendRequest } from '../coord/messages/schema.js';
import { sendMessage } from '../coord/messages/store.js';
import { promptSafe } from '../coord/prompt-safe.js';
import type { Message } from '../coord/messages/format.js';
import { roomArg, tool, type ToolKit } from './tool-kit.js';
import { afterMemoryWrite } from './tools-synthesis.js';

const handleArg = z.string().optional().describe('who is acting (default: the server --handle, MYCELIUM_AGENT_HANDLE, config, OS user)');
const withWarnings = (warnings: string[]) => (warnings.length > 0 ? { warnings } : {});
/** Message texts reach the agent's prompt: tags in them are broken so they cannot pose as the host. */
const safe = (messages: Message[]) => messages.map((m) => ({ ...m, text: promptSafe(m.text) }));

/**
 * Messages and agents as MCP tools (issue 12): room_send, room_messages, inbox, await, agent_register,
 * agent_ls. The zod shapes only describe the arguments to the host; the schema in
 * src/coord/messages/schema.ts validates them, the same one the CLI and HTTP use.
 */
export function registerMessageTools(server: McpServer, kit: ToolKit): void {
  server.registerTool(
    'room_send',
    {
      title: 'Send a message',
      description: 'Send a message to the room. @handle in the text reaches that agent\'s inbox; kind is say (default), ask, reply, start, done, need, up, down or block. Returns the message and the handles it reached.',
      inputSchema: {
        text: z.string().describe('the message (at most 64 KiB); @handle mentions an agent'),
        to: z.array(z.string()).optional().describe('explicit recipients'),
        re: z.string().optional().describe('the id of the message this answers'),
        kind: z.string().optional().describe('say, ask, reply, start, done, need, up, down, block'),
        ref: z.string().optional().describe('a branch, file or memory this is about'),
        room: roomArg,
        handle: handleArg,
      },
    },
    tool(async (args: { room?: string; handle?: string }) => {
      const { ctx, room } = await kit.openRoom(args);
      const message = await sendMessage(room, { from: ctx.handle, ...parseSendRequest(args) });
      // issue 17: a deliberate write, so it goes to the knowledge-ingest outbox; nothing is sent before the reply
      await afterMemoryWrite(ctx.home, room, { kind: 'message', room: room.name, key: message.key, content: message.text, by: ctx.handle }, kit.settings.env);
      const reached = [...new Set([...message.to, ...message.mentions])];
      const unknown: string[] = [];
      for (const handle of reached) if (!(await readAgent(room, handle))) unknown.push(`no agent '${handle}' is registered yet; the message waits in its inbox`);
      return { ...message, reached, ...withWarnings(unknown) };
    }),
  );

  server.registerTool(
    'room_messages',
    {
      title: 'List messages',
      description: `Messages in the room, oldest first: the newest \`limit\` (default 50, at most ${MAX_MESSAGES_PAGE}) after the filters.`,
      inputSchema: {
        since: z.string().optional().describe('only after this message id, or from this date'),
        from: z.string().optional().describe('only from this handle'),
        mention: z.string().optional().describe('only mentioning this handle'),
        thread: z.string().optional().describe('only this thread (the id of its first message)'),
        limit: z.number().int().optional().describe('the newest N'),
        room: roomArg,
      },
    },
    tool(async (args: { room?: string; limit?: number }) => {
      const { room } = await kit.openRoom(args);
      const warnings: string[] = [];
      const options = parseListRequest(args, MAX_MESSAGES_PAGE);
      const messages = await listMessages(room, { ...options, limit: options.limit ?? 50 }, warnings);
      return { room: room.name, messages: safe(messages), ...withWarnings(warnings) };
    }),
  );

  server.registerTool(
    'inbox',
    {
      title: 'Read my inbox',
      description: 'Unread messages addressed to this handle (mentions, to, replies to its messages), oldest first; reading marks them read unless peek.',
      inputSchema: {
        peek: z.boolean().optional().describe('do not mark them read'),
        all: z.boolean().optional().describe('include broadcasts'),
        limit: z.number().int().optional().describe('at most N'),
        room: roomArg,
        handle: handleArg,
      },
    },
    tool(async (args: { room?: string; handle?: string }) => {
      const { ctx, room } = await kit.openRoom(args);
      const warnings: string[] = [];
      const messages = await readInbox(room, ctx.handle, parseInboxRequest(args), warnings);
      await touchPresence(room, ctx.handle);
      return { room: room.name, handle: ctx.handle, messages: safe(messages), ...withWarnings(warnings) };
    }),
  );

  server.registerTool(
    'await',
    {
      title: 'Wait for a message',
      description: `Block until a message addressed to this handle arrives (marking it read), or until timeout seconds (default 30, at most ${MAX_FACE_AWAIT_SECONDS}) pass. Returns {type: "message", ...} or {type: "timeout", seconds}.`,
      inputSchema: {
        timeout: z.number().optional().describe(`seconds to wait (at most ${MAX_FACE_AWAIT_SECONDS})`),
        all: z.boolean().optional().describe('broadcasts count too'),
        room: roomArg,
        handle: handleArg,
      },
    },
    tool(async (args: { room?: string; handle?: string }) => {
      const { timeout, all } = parseAwaitRequest(args, true);
      const { ctx, room } = await kit.openRoom(args);
      await touchPresence(room, ctx.handle);
      const result = await awaitMessage(room, ctx.handle, { timeoutMs: timeout! * 1000, all, log: (line) => void process.stderr.write(`mycelium: ${line}\n`) });
      return result.type === 'message' ? awaitPayload(result.message) : { type: 'timeout', seconds: timeout };
    }),
  );

  server.registerTool(
    'agent_register',
    {
      title: 'Register this agent',
      description: "Write this handle's card (agents/<handle>.md: role, description, last_seen) so peers know who it is; role/description left out keep their value.",
      inputSchema: { role: z.string().optional(), description: z.string().optional(), room: roomArg, handle: handleArg },
    },
    tool(async (args: { room?: string; handle?: string }) => {
      const { ctx, room } = await kit.openRoom(args);
      return { ...(await registerAgent(room, ctx.handle, parseRegisterRequest(args))) };
    }),
  );

  server.registerTool(
    'agent_ls',
    {
      title: 'List agents',
      description: 'Agents in the room: handle, role, description, last_seen, online (seen within 15 minutes).',
      inputSchema: { room: roomArg },
    },
    tool(async (args: { room?: string }) => {
      const { room } = await kit.openRoom(args);
      const now = new Date();
      const agents = (await listAgents(room)).map((card) => ({ ...card, description: promptSafe(card.description), body: promptSafe(card.body), online: isOnline(card, now) }));
      return { room: room.name, agents };
    }),
  );
}
