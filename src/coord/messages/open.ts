/**
 * What is still open for a handle, derived from the message files alone (issue 12, `inbox --open`;
 * the digest of the agent-loop issue reads the same):
 *  - asks addressed to it that no message answers yet (nothing has `re` = the ask);
 *  - its own needs that no later `up` of the same resource satisfies;
 *  - peers' blocks not yet cleared: a later `start` or `done` from the same peer, or any message
 *    answering the block (`re`), clears it.
 * A need's resource is its `--ref`, else its first line (trimmed, lower case).
 */
import type { Room } from '../../room.js';
import { validateHandle } from '../handle.js';
import type { Message } from './format.js';
import { messageRows, type MessageRow } from './index-cache.js';
import { readMessage, isAddressedTo } from './store.js';

export interface OpenItems {
  asks: Message[];
  needs: Message[];
  blocks: Message[];
}

export async function openItems(room: Room, handleInput: string, warnings: string[] = []): Promise<OpenItems> {
  const handle = validateHandle(handleInput);
  const rows = await messageRows(room, warnings);
  const answered = new Set(rows.map((r) => r.re).filter((re): re is string => re !== null));
  const sent = new Set(rows.filter((r) => r.from === handle).map((r) => r.id));
  const asks = rows.filter((r) => r.kind === 'ask' && isAddressedTo(r, handle, sent) && !answered.has(r.id));
  const blocks = rows.filter((r, i) => r.kind === 'block' && r.from !== handle && !answered.has(r.id) && !rows.slice(i + 1).some((later) => later.from === r.from && (later.kind === 'start' || later.kind === 'done')));
  // Needs and ups carry their resource in the file (ref or text): read those few files.
  const resourceRows = rows.filter((r) => (r.kind === 'need' && r.from === handle) || r.kind === 'up');
  const read = await readAll(room, resourceRows, warnings);
  const needs: Message[] = [];
  read.forEach((message, i) => {
    if (message.kind !== 'need') return;
    const satisfied = read.slice(i + 1).some((later) => later.kind === 'up' && resourceOf(later) === resourceOf(message));
    if (!satisfied) needs.push(message);
  });
  return { asks: await readAll(room, asks, warnings), needs, blocks: await readAll(room, blocks, warnings) };
}

/** What a need/up is about: its ref, else its first line. */
export function resourceOf(message: Message): string {
  return (message.ref ?? message.text.split('\n')[0]).trim().toLowerCase();
}

async function readAll(room: Room, rows: MessageRow[], warnings: string[]): Promise<Message[]> {
  const out: Message[] = [];
  for (const row of rows) {
    try {
      out.push(await readMessage(room, row.id));
    } catch {
      warnings.push(`warning: ${room.pathOf(row.key)}: message deleted or unreadable; skipped`);
    }
  }
  return out;
}
