import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer } from '../../src/mcp/server.js';
import type { CommonOptions } from '../output.js';

/** `mycelium mcp`: serves MCP on stdin/stdout until the host closes stdin. Logs go to stderr only. */
export async function mcp(options: CommonOptions): Promise<void> {
  const server = createMcpServer({ room: options.room, handle: options.handle });
  await server.connect(new StdioServerTransport());
  process.stdin.on('end', () => void server.close());
}
