/**
 * Agent cards (issue 12). `agents/<handle>.md` is an agent's card, written only by that agent:
 * frontmatter handle, role, description, last_seen; the body says what the agent does.
 * `agents/<handle>/notes` is the agent's own durable notes. An agent is online when last_seen is
 * within PRESENCE_WINDOW_MS; await/inbox refresh it at most once per half that window.
 */
import { AgentNotFoundError, MemoryNotFoundError } from '../errors.js';
import type { Room } from '../room.js';
import { isValidHandle, validateHandle } from './handle.js';

export const AGENTS_PREFIX = 'agents/';
export const PRESENCE_WINDOW_MS = 15 * 60 * 1000;

export interface AgentCard {
  handle: string;
  role: string;
  description: string;
  last_seen: string | null;
  body: string;
}

export const agentKey = (handle: string): string => `${AGENTS_PREFIX}${validateHandle(handle)}`;
export const notesKey = (handle: string): string => `${AGENTS_PREFIX}${validateHandle(handle)}/notes`;

/** Writes (or updates) the agent's own card; role/description left undefined keep what is there. */
export async function registerAgent(
  room: Room,
  handleInput: string,
  input: { role?: string; description?: string; body?: string },
  now: () => Date = () => new Date(),
): Promise<AgentCard> {
  const handle = validateHandle(handleInput);
  let card: AgentCard | undefined;
  await room.update(agentKey(handle), handle, (current) => {
    const role = input.role ?? stringField(current?.extra.role) ?? '';
    const description = input.description ?? stringField(current?.extra.description) ?? '';
    const body = input.body ?? (typeof current?.value === 'string' && current.value !== '' ? current.value : description || `${handle}`);
    const last_seen = now().toISOString();
    card = { handle, role, description, last_seen, body };
    return { value: body, format: 'text', fields: { handle, role, description, last_seen } };
  });
  return card as AgentCard;
}

export async function readAgent(room: Room, handleInput: string): Promise<AgentCard | undefined> {
  const handle = validateHandle(handleInput);
  try {
    const memory = await room.get(agentKey(handle));
    return {
      handle,
      role: stringField(memory.extra.role) ?? '',
      description: stringField(memory.extra.description) ?? '',
      last_seen: stringField(memory.extra.last_seen),
      body: typeof memory.value === 'string' ? memory.value : JSON.stringify(memory.value),
    };
  } catch (err) {
    if (err instanceof MemoryNotFoundError) return undefined;
    throw err;
  }
}

/** Every card in the room (agents/<handle>.md; notes and other files under agents/ are skipped). */
export async function listAgents(room: Room): Promise<AgentCard[]> {
  // Read the agents folder only: a walk of the whole room would touch every message file.
  // Which files are cards: the room's one memory-file rule (no links, no scratch names), then the handle rule.
  const keys = await room.keys([], AGENTS_PREFIX);
  const handles = keys.map((k) => k.slice(AGENTS_PREFIX.length)).filter(isValidHandle);
  const cards: AgentCard[] = [];
  for (const handle of handles) {
    const card = await readAgent(room, handle).catch(() => undefined);
    if (card) cards.push(card);
  }
  return cards;
}

export function isOnline(card: AgentCard, now: Date = new Date()): boolean {
  if (!card.last_seen) return false;
  const seen = Date.parse(card.last_seen);
  return Number.isFinite(seen) && now.getTime() - seen <= PRESENCE_WINDOW_MS;
}

/** Refreshes last_seen; with `throttle`, only when it is older than half the presence window. */
export async function heartbeat(room: Room, handleInput: string, options: { throttle?: boolean; now?: () => Date } = {}): Promise<boolean> {
  const handle = validateHandle(handleInput);
  const now = options.now ?? (() => new Date());
  const card = await readAgent(room, handle);
  if (!card) throw new AgentNotFoundError(`no agent '${handle}' in room '${room.name}'; register with \`mycelium agent register --handle ${handle}\``);
  if (options.throttle && card.last_seen && now().getTime() - Date.parse(card.last_seen) < PRESENCE_WINDOW_MS / 2) return false;
  await registerAgent(room, handle, {}, now);
  return true;
}

/** A throttled heartbeat for agents that have a card (await, inbox); unregistered handles are left alone. */
export async function touchPresence(room: Room, handle: string, now: () => Date = () => new Date()): Promise<void> {
  if (await readAgent(room, handle)) await heartbeat(room, handle, { throttle: true, now });
}

export async function readNotes(room: Room, handle: string): Promise<string> {
  try {
    const memory = await room.get(notesKey(handle));
    return typeof memory.value === 'string' ? memory.value : JSON.stringify(memory.value);
  } catch (err) {
    if (err instanceof MemoryNotFoundError) return '';
    throw err;
  }
}

export async function writeNotes(room: Room, handle: string, text: string): Promise<void> {
  await room.set(notesKey(handle), text, { handle: validateHandle(handle), format: 'text' });
}

function stringField(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
