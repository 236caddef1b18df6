import { readFileSync } from 'node:fs';
import { heartbeat, isOnline, listAgents, readAgent, readNotes, registerAgent, writeNotes } from '../../src/coord/agents.js';
import { validateHandle } from '../../src/coord/handle.js';
import { AgentNotFoundError, InvalidInputError } from '../../src/errors.js';
import { openRoom } from '../context.js';
import { printJson, printLine, table, type CommonOptions } from '../output.js';

/** `agent register`: writes this handle's card (role/description left out keep what is there). */
export async function agentRegister(options: CommonOptions & { role?: string; description?: string }): Promise<void> {
  const { context, room } = await openRoom(options);
  const card = await registerAgent(room, context.handle, { role: options.role, description: options.description });
  if (options.json) return printJson(card);
  printLine(`registered ${card.handle}${card.role ? ` (${card.role})` : ''} in room '${room.name}'`);
}

/** `agent card [HANDLE]`: one card, this handle's by default. */
export async function agentCard(handle: string | undefined, options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  const who = validateHandle(handle ?? context.handle);
  const card = await readAgent(room, who);
  if (!card) throw new AgentNotFoundError(`no agent '${who}' in room '${room.name}'; list agents with \`mycelium agent ls\``);
  const online = isOnline(card);
  if (options.json) return printJson({ ...card, online });
  printLine(`${card.handle}  ${card.role || '-'}  ${online ? 'online' : 'offline'}  last seen ${card.last_seen ?? 'never'}`);
  if (card.description) printLine(card.description);
  if (card.body && card.body !== card.description) printLine(card.body);
}

/** `agent ls`: every card with online/offline from last_seen. */
export async function agentLs(options: CommonOptions): Promise<void> {
  const { room } = await openRoom(options);
  const now = new Date();
  const cards = (await listAgents(room)).map((card) => ({ ...card, online: isOnline(card, now) }));
  if (options.json) return printJson(cards);
  if (cards.length === 0) return printLine(`no agents in room '${room.name}'; register with \`mycelium agent register\``);
  printLine(table(cards.map((c) => [c.handle, c.role || '-', c.online ? 'online' : 'offline', c.last_seen ?? 'never'])));
}

/** `agent heartbeat`: refreshes last_seen on this handle's card. */
export async function agentHeartbeat(options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  await heartbeat(room, context.handle);
  const card = await readAgent(room, context.handle);
  if (options.json) return printJson({ handle: card?.handle, last_seen: card?.last_seen });
  printLine(`${context.handle} seen at ${card?.last_seen}`);
}

/** `agent notes [get | set VALUE|-]`: this handle's own durable notes. */
export async function agentNotes(verb: string | undefined, value: string | undefined, options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  const action = verb ?? 'get';
  if (action === 'get') {
    if (value !== undefined) throw new InvalidInputError('`agent notes get` takes no value; to write, use `agent notes set VALUE`');
    const notes = await readNotes(room, context.handle);
    if (options.json) return printJson({ handle: validateHandle(context.handle), notes });
    if (notes !== '') process.stdout.write(notes.endsWith('\n') ? notes : `${notes}\n`);
    return;
  }
  if (action !== 'set') throw new InvalidInputError(`unknown notes action '${action}'; use \`agent notes get\` or \`agent notes set VALUE|-\``);
  const text = value === undefined || value === '-' ? readFileSync(0, 'utf8') : value;
  await writeNotes(room, context.handle, text);
  if (options.json) return printJson({ handle: validateHandle(context.handle), bytes: Buffer.byteLength(text) });
  printLine(`notes of ${validateHandle(context.handle)} saved (${Buffer.byteLength(text)} bytes)`);
}
