import { readFile } from 'node:fs/promises';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { memoryListSkip } from '../coord/messages/format.js';
import { notifyWritten, searchMemories } from '../daemon/client.js';
import type { SearchMode } from '../search/types.js';
import { memoryRecord } from '../memory-record.js';
import { Room } from '../room.js';
import { createRoom, listRooms, setActiveRoom } from '../rooms.js';
import { VERSION } from '../version.js';
import { readSettings } from '../settings.js';
import { keyArg, roomArg, tool, toolKit, uniformToolErrors, type McpServerOptions } from './tool-kit.js';
import { registerMessageTools } from './tools-messages.js';
import { registerDigestTools } from './tools-digest.js';
import { registerNegotiateTools } from './tools-negotiate.js';
import { afterMemoryWrite, registerSynthesisTools } from './tools-synthesis.js';
import { registerPlanTools } from './tools-plan.js';

/**
 * The MCP face of mycelium: the same library calls as the CLI, as tools and resources.
 * Results are the JSON the CLI prints with `--json`; errors users can cause come back as tool
 * errors (`isError`) whose text is `<code>: <message>`, never as protocol failures.
 */

export type { McpServerOptions };

const INSTRUCTIONS = `mycelium is a shared, persistent memory kept as markdown files in rooms.
Keys are paths: decisions/... (what was decided and why), context/... (facts about the project),
work/... (what is in progress, who has it), failed/... (what did not work and why),
procedures/... (how to do recurring tasks). Write each memory so it makes sense on its own.
Look before you write: memory_ls with a prefix, or memory_search.`;

export function createMcpServer(options: McpServerOptions = {}): McpServer {
  const settings = readSettings(process.env); // the MCP server is a face: it reads the environment once, here
  const kit = toolKit(options, settings);
  const { context, openRoom } = kit;

  const server = new McpServer({ name: 'mycelium', version: VERSION }, { instructions: INSTRUCTIONS });
  uniformToolErrors(server);

  server.registerTool(
    'memory_set',
    {
      title: 'Write a memory',
      description:
        'Write a memory. A string value is stored as text (a string holding a JSON object or array is stored as JSON); any other JSON value is stored as JSON. if_version makes the write conflict-safe: read the memory, then write with the version you read (0: it must not exist yet); a conflict writes nothing. Returns room, key, version, path.',
      inputSchema: {
        key: keyArg,
        value: z
          .union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())])
          .describe('the value: text, or any JSON value'),
        room: roomArg,
        tags: z.array(z.string()).optional().describe('replaces the tags (omit to keep the existing ones)'),
        handle: z.string().optional().describe('who is writing (default: MYCELIUM_AGENT_HANDLE, config, OS user)'),
        format: z.enum(['auto', 'text', 'json']).optional().describe('auto (default): a JSON object or array is stored as JSON, other strings as text; text: a string as it is; json: a string parsed as JSON'),
        if_version: z.number().int().min(0).optional().describe('refuse (conflict) unless the memory is at this version now; 0: it must not exist yet'),
      },
    },
    tool(async (args: { key: string; value: unknown; room?: string; tags?: string[]; handle?: string; format?: 'auto' | 'text' | 'json'; if_version?: number }) => {
      const { ctx, room } = await openRoom(args);
      const change = await room.set(args.key, args.value, { handle: ctx.handle, tags: args.tags, format: args.format, ifVersion: args.if_version });
      await notifyWritten(ctx.home, room.name, [change.key]); // a search right after sees it (read-your-writes)
      // issue 17: knowledge-ingest outbox and synthesis triggers; nothing is sent or run before the reply.
      await afterMemoryWrite(ctx.home, room, { kind: 'memory', room: room.name, key: change.key, content: typeof args.value === 'string' ? args.value : JSON.stringify(args.value), by: ctx.handle }, settings.env);
      return { room: change.room, key: change.key, version: change.version, path: change.path };
    }),
  );

  server.registerTool(
    'memory_get',
    {
      title: 'Read a memory',
      description: 'Read one memory: its value and everything its frontmatter says.',
      inputSchema: { key: keyArg, room: roomArg },
    },
    tool(async (args: { key: string; room?: string }) => {
      const { room } = await openRoom(args);
      const memory = await room.get(args.key);
      return { ...memoryRecord(memory), ...(memory.warnings.length > 0 ? { warnings: memory.warnings } : {}) };
    }),
  );

  server.registerTool(
    'memory_ls',
    {
      title: 'List memories',
      description: 'List memories sorted by key: key, version, updated_at, updated_by, tags, first line. Messages (messages/) are listed only with a messages/ prefix; room_messages lists them.',
      inputSchema: {
        prefix: z.string().optional().describe('only keys that start with this, e.g. decisions/'),
        room: roomArg,
        limit: z.number().int().min(1).optional().describe('at most this many'),
      },
    },
    tool(async (args: { prefix?: string; room?: string; limit?: number }) => {
      const { room } = await openRoom(args);
      const { memories, warnings } = await room.list({ prefix: args.prefix, limit: args.limit, skip: memoryListSkip(args.prefix) });
      return { room: room.name, memories, ...(warnings.length > 0 ? { warnings } : {}) };
    }),
  );

  server.registerTool(
    'memory_search',
    {
      title: 'Search memories',
      description:
        'Search a room by meaning and words; best matches first. Returns {room, mode, reason?, results: [{key, score, version, updated_at, updated_by, tags, snippet, line}]}; reason says why vectors were not used. Query syntax: "exact phrase", -excluded words.',
      inputSchema: {
        query: z.string().min(1).describe('what you are looking for, in plain words; "an exact phrase" must occur as written, -word drops memories holding word'),
        room: roomArg,
        limit: z.number().int().min(1).optional().describe('at most this many results'),
        mode: z.enum(['hybrid', 'bm25', 'vector']).optional().describe('hybrid (default when a model loads), bm25 (words only) or vector (meaning only)'),
        min_score: z.number().min(0).optional().describe('drop results scoring below this'),
        kind: z.enum(['memory', 'message']).optional().describe('message: only messages; memory: leave messages out'),
        prefix: z.string().optional().describe('only keys that start with this, e.g. decisions/'),
        tags: z.array(z.string()).optional().describe('only memories carrying every one of these tags'),
        by: z.string().optional().describe('only memories last written by this handle'),
        since: z.string().optional().describe('only memories changed since this ISO date or time'),
        explain: z.boolean().optional().describe('add each result\'s BM25 and vector ranks and scores'),
      },
    },
    tool(async (args: { query: string; room?: string; limit?: number; mode?: SearchMode; min_score?: number; kind?: 'memory' | 'message'; prefix?: string; tags?: string[]; by?: string; since?: string; explain?: boolean }) => {
      const { ctx, room } = await openRoom(args);
      // The same SearchOptions the CLI flags and the HTTP body become; checked once by the client.
      const options = { limit: args.limit, mode: args.mode, minScore: args.min_score, kind: args.kind, prefix: args.prefix, tags: args.tags, by: args.by, since: args.since, explain: args.explain };
      const { warnings, ...response } = await searchMemories(ctx.home, room.name, args.query, { ...options, settings }, true);
      return { ...response, ...(warnings.length > 0 ? { warnings } : {}) };
    }),
  );

  server.registerTool(
    'memory_rm',
    {
      title: 'Remove a memory',
      description: 'Delete a memory (its file) and the folders it leaves empty.',
      inputSchema: { key: keyArg, room: roomArg },
    },
    tool(async (args: { key: string; room?: string }) => {
      const { ctx, room } = await openRoom(args);
      const change = await room.remove(args.key, ctx.handle);
      await notifyWritten(ctx.home, room.name, [change.key]);
      return { room: change.room, key: change.key, removed: true };
    }),
  );

  server.registerTool(
    'room_ls',
    {
      title: 'List rooms',
      description: 'Rooms with memory count and last change; active marks the default room.',
      inputSchema: {},
    },
    tool(async () => {
      const ctx = context();
      const rooms = await listRooms(ctx.home);
      return { rooms: rooms.map((r) => ({ ...r, active: r.name === ctx.room })) };
    }),
  );

  server.registerTool(
    'room_create',
    {
      title: 'Create a room',
      description: 'Create an empty room; the first room in a home becomes the active one.',
      inputSchema: { name: z.string().describe('room name: letters, digits, ".", "_", "-"') },
    },
    tool(async (args: { name: string }) => {
      const { room, active } = await createRoom(context().home, args.name);
      return { room: room.name, path: room.dir, active };
    }),
  );

  server.registerTool(
    'room_use',
    {
      title: 'Choose the active room',
      description:
        'Make a room the active one (as `mycelium room use`): global writes the home\'s config.toml, local the project\'s .mycelium/config.toml. Later calls of this session that name no room use it. Returns room, scope, config.',
      inputSchema: {
        name: z.string().describe('an existing room'),
        scope: z.enum(['global', 'local']).optional().describe('global (default): the home config; local: the project config of the folder the server runs in'),
      },
    },
    tool(async (args: { name: string; scope?: 'global' | 'local' }) => {
      const { home } = context();
      await Room.open(home, args.name); // refuses unknown rooms, listing the ones there are
      const scope = args.scope ?? 'global';
      const config = await setActiveRoom(home, args.name, scope, kit.cwd(), settings.env);
      kit.useRoom(args.name);
      return { room: args.name, scope, config };
    }),
  );

  registerRoomResources(server, () => context().home);
  // Coordination tools register here, one line per area, each from its own file (src/mcp/tools-*.ts).
  registerMessageTools(server, kit);
  registerDigestTools(server, kit);
  registerNegotiateTools(server, kit);
  registerSynthesisTools(server, kit, settings.env);
  registerPlanTools(server, kit);
  return server;
}

/** Rooms as resources: `mycelium://rooms/NAME` lists a room, `mycelium://rooms/NAME/KEY` is a memory's file. */
function registerRoomResources(server: McpServer, home: () => string): void {
  server.registerResource(
    'room',
    new ResourceTemplate('mycelium://rooms/{room}', {
      list: async () => ({
        resources: (await listRooms(home())).map((r) => ({
          uri: `mycelium://rooms/${r.name}`,
          name: r.name,
          description: `room '${r.name}': ${r.memories} memories`,
          mimeType: 'application/json',
        })),
      }),
    }),
    { title: 'Room', description: 'the memories in a room (as memory_ls)', mimeType: 'application/json' },
    async (uri, variables) => {
      const room = await Room.open(home(), String(variables.room));
      const { memories } = await room.list({ skip: memoryListSkip() });
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ room: room.name, memories }, null, 2) }] };
    },
  );

  server.registerResource(
    'memory',
    new ResourceTemplate('mycelium://rooms/{room}/{+key}', { list: undefined }),
    { title: 'Memory', description: 'a memory file as it is on disk (markdown with frontmatter)', mimeType: 'text/markdown' },
    async (uri, variables) => {
      const room = await Room.open(home(), String(variables.room));
      const memory = await room.get(decodeURIComponent(String(variables.key)));
      return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: await readFile(memory.path, 'utf8') }] };
    },
  );
}
