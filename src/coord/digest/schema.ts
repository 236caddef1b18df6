import { z } from 'zod';

/**
 * The one input schema of the digest verb: the MCP tool takes it as is, the CLI maps its flags
 * (`--max-chars`, `--since-cursor`) onto it, HTTP would take it as the query. Limits are checked by
 * `checkDigestChars`, the one rule for the budget.
 */
export const DIGEST_INPUT = {
  room: z.string().optional().describe('room to use (default: the active room, as in the CLI)'),
  handle: z.string().optional().describe('whose digest (default: MYCELIUM_AGENT_HANDLE, config, OS user)'),
  max_chars: z.number().int().optional().describe('length budget, 200 to 10000 (default 4000)'),
  since_cursor: z.boolean().optional().describe("only what changed since this handle's last digest; empty text when nothing did"),
};

export interface DigestInput {
  room?: string;
  handle?: string;
  max_chars?: number;
  since_cursor?: boolean;
}
