import { spawn } from 'node:child_process';
import { touchPresence } from '../../src/coord/agents.js';
import { validateHandle } from '../../src/coord/handle.js';
import { awaitMessage, awaitPayload } from '../../src/coord/messages/await.js';
import { parseAwaitRequest } from '../../src/coord/messages/schema.js';
import { writeCursor } from '../../src/coord/messages/store.js';
import { InvalidInputError, MyceliumError } from '../../src/errors.js';
import type { Room } from '../../src/room.js';
import { openRoom } from '../context.js';
import { notice, problem, type CommonOptions } from '../output.js';

type AwaitFlags = CommonOptions & { timeout?: string; all?: boolean; loop?: boolean; exec?: string; skipFailed?: boolean };

/**
 * `mycelium await`: one JSON line per item on stdout. A message exits 0; a timeout prints
 * {"type":"timeout","seconds":S} and exits 1; an error (e.g. the room deleted while waiting) prints
 * {"type":"error",...} and exits with the error's code. `--loop --exec CMD` is the resident loop.
 */
export async function awaitCommand(options: AwaitFlags): Promise<void> {
  const seconds = parseAwaitRequest(options, false).timeout;
  if (options.loop && !options.exec) throw new InvalidInputError('--loop needs --exec CMD (the command each item is piped to)');
  if (options.exec && !options.loop) throw new InvalidInputError('--exec runs only with --loop; add --loop');
  const { context, room } = await openRoom(options);
  const handle = validateHandle(context.handle);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const warn = (line: string) => notice(`mycelium: ${line}`);
  let told = false;
  const onReady = (source: string) => {
    if (!told) notice(`mycelium: waiting for messages to ${handle} in room '${room.name}' (${source === 'daemon' ? 'from the daemon' : 'watching in-process'})`);
    told = true;
  };
  try {
    if (options.loop) return await residentLoop(room, handle, options, seconds, controller.signal, warn, onReady);
    await touchPresence(room, handle);
    const result = await awaitMessage(room, handle, { timeoutMs: seconds === undefined ? undefined : seconds * 1000, all: options.all, signal: controller.signal, onWarning: warn, log: problem, onReady });
    if (result.type === 'message') return line(awaitPayload(result.message));
    if (result.type === 'timeout') {
      line({ type: 'timeout', seconds });
      process.exitCode = 1;
    } else process.exitCode = 130;
  } catch (err) {
    if (err instanceof MyceliumError) line({ type: 'error', code: err.code, message: err.message });
    throw err;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Runs CMD for each item, one at a time; the cursor moves past an item only once CMD succeeded on it. */
async function residentLoop(room: Room, handle: string, options: AwaitFlags, seconds: number | undefined, signal: AbortSignal, warn: (line: string) => void, onReady: (source: string) => void) {
  const done = new Set<string>();
  let failures = 0;
  while (!signal.aborted) {
    await touchPresence(room, handle);
    const result = await awaitMessage(room, handle, { peek: true, all: options.all, timeoutMs: seconds === undefined ? undefined : seconds * 1000, signal, onWarning: warn, log: problem, onReady });
    if (result.type === 'aborted') return;
    if (result.type === 'timeout') {
      line({ type: 'timeout', seconds });
      process.exitCode = 1;
      return;
    }
    const message = result.message;
    if (done.has(message.id)) {
      await writeCursor(room, handle, message.id); // handled already; only the cursor write was lost
      continue;
    }
    const code = await runItem(options.exec!, JSON.stringify(awaitPayload(message)), { type: 'message', id: message.id, from: message.from, kind: message.kind, room: room.name });
    if (code === 0 || options.skipFailed) {
      if (code !== 0) warn(`warning: \`${options.exec}\` failed (exit ${code}) on message ${message.id}; skipped (--skip-failed)`);
      done.add(message.id);
      await writeCursor(room, handle, message.id);
      failures = 0;
      continue;
    }
    failures++;
    const wait = Math.min(30, 2 ** (failures - 1));
    warn(`warning: \`${options.exec}\` failed (exit ${code}) on message ${message.id}; retrying in ${wait}s (--skip-failed moves past it)`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait * 1000);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}

/** Runs CMD through the shell with the item's JSON on stdin and MYCELIUM_EVENT_* in its environment. */
function runItem(command: string, json: string, fields: Record<string, string>): Promise<number> {
  const env = { ...process.env };
  for (const [name, value] of Object.entries(fields)) env[`MYCELIUM_EVENT_${name.toUpperCase()}`] = value;
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: ['pipe', 'inherit', 'inherit'], env });
    child.on('error', () => resolve(127));
    child.stdin.on('error', () => {}); // CMD may not read its stdin
    child.stdin.end(json + '\n');
    child.on('close', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
}

function line(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}
