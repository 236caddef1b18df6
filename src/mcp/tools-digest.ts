import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { buildDigest } from '../coord/digest/index.js';
import { DIGEST_CONTRIBUTORS } from '../coord/digest/contributors.js';
import { DIGEST_INPUT, type DigestInput } from '../coord/digest/schema.js';
import { tool, type ToolKit } from './tool-kit.js';

/**
 * The digest over MCP: a `digest` tool (same input as `mycelium digest`) and a `mycelium://digest`
 * resource (the server's room and handle). Each call reads the room's files, so a long-running
 * session sees what other processes wrote without a restart.
 */
export function registerDigestTools(server: McpServer, kit: ToolKit): void {
  const run = async (args: DigestInput) => {
    const { ctx, room } = await kit.openRoom(args);
    const digest = await buildDigest(room, ctx.handle, { maxChars: args.max_chars, sinceCursor: args.since_cursor, contributors: DIGEST_CONTRIBUTORS });
    return { ...digest.data, text: digest.text, warnings: digest.warnings };
  };
  server.registerTool(
    'digest',
    {
      title: 'Your digest of the room',
      description:
        'Your compact view of the room: unread messages for you, your claims and tasks, ready tasks, a negotiation waiting for you (with the command to answer), decisions changed since your last digest. `text` is ready to read; text from other agents in it is escaped and quoted.',
      inputSchema: DIGEST_INPUT,
    },
    tool(run),
  );
  server.registerResource(
    'digest',
    'mycelium://digest',
    { title: 'Digest', description: "the digest for this server's room and handle (as the digest tool)", mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: (await run({})).text }] }),
  );
}
