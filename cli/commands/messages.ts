import { readFileSync } from 'node:fs';
import { readAgent, touchPresence } from '../../src/coord/agents.js';
import { promptSafe } from '../../src/coord/prompt-safe.js';
import type { Message } from '../../src/coord/messages/format.js';
import { sendMessage } from '../../src/coord/messages/store.js';
import { parseInboxRequest, parseListRequest, parseSendRequest } from '../../src/coord/messages/schema.js';
import { openRoom } from '../context.js';
import { printJson, printLine, warn, type CommonOptions } from '../output.js';

function line(m: Message): string {
  const who = [...m.to, ...m.mentions.filter((h) => !m.to.includes(h))];
  const first = promptSafe(m.text.split('\n')[0]).slice(0, 100); // another agent's text on a terminal: no control characters
  return `${m.created_at.slice(0, 19).replace('T', ' ')}  ${m.from}${who.length ? ` → ${who.join(',')}` : ''}  [${m.kind}]  ${first}  (${m.id})`;
}

export async function roomSend(
  text: string | undefined,
  options: CommonOptions & { to?: string; re?: string; kind?: string; ref?: string },
): Promise<void> {
  const { context, room } = await openRoom(options);
  const body = text === undefined || text === '-' ? readFileSync(0, 'utf8') : text;
  const request = parseSendRequest({ text: body, to: options.to, re: options.re, kind: options.kind, ref: options.ref });
  const afterWriteModule = import('../after-write.js'); // loads while the message is written
  const sent = await sendMessage(room, { from: context.handle, ...request });
  await (await afterWriteModule).afterWrite(context.home, room, { kind: 'message', room: room.name, key: sent.key, content: sent.text, by: sent.from }); // issue 17
  const reached = [...new Set([...sent.to, ...sent.mentions])];
  const cards = await Promise.all(reached.map((handle) => readAgent(room, handle)));
  const unknown = reached.filter((_, i) => !cards[i]);
  warn(unknown.map((h) => `warning: no agent '${h}' is registered in room '${room.name}' yet; the message waits in its inbox`));
  if (options.json) return printJson({ ...sent, reached });
  printLine(`${sent.id}  ${reached.length ? `→ ${reached.join(', ')}` : '(broadcast)'}`);
}

export async function inbox(options: CommonOptions & { peek?: boolean; all?: boolean; limit?: string; open?: boolean }): Promise<void> {
  const { context, room } = await openRoom(options);
  const warnings: string[] = [];
  if (options.open) {
    const { openItems } = await import('../../src/coord/messages/open.js');
    const open = await openItems(room, context.handle, warnings);
    warn(warnings);
    if (options.json) return printJson(open);
    const groups: [string, Message[]][] = [['open asks to you', open.asks], ['your unsatisfied needs', open.needs], ["peers' blocks", open.blocks]];
    for (const [title, items] of groups) {
      printLine(`${title}: ${items.length === 0 ? 'none' : ''}`);
      for (const m of items) printLine(`  ${line(m)}`);
    }
    return;
  }
  const { readInbox } = await import('../../src/coord/messages/inbox.js'); // not loaded by room send
  const request = parseInboxRequest(options);
  // The card's last_seen and the messages are separate files: refresh one while reading the other.
  const [messages] = await Promise.all([readInbox(room, context.handle, request, warnings), touchPresence(room, context.handle)]);
  warn(warnings);
  if (options.json) return printJson(messages);
  for (const m of messages) printLine(line(m));
}

export async function roomMessages(
  options: CommonOptions & { since?: string; from?: string; mention?: string; thread?: string; limit?: string },
): Promise<void> {
  const { room } = await openRoom(options);
  const warnings: string[] = [];
  const { listMessages } = await import('../../src/coord/messages/inbox.js');
  const messages = await listMessages(room, parseListRequest(options), warnings);
  warn(warnings);
  if (options.json) return printJson(messages);
  for (const m of messages) printLine(line(m));
}
