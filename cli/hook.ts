import { join } from 'node:path';
import { resolveContext, roomsDir } from '../src/config.js';
import { readDigestCursor } from '../src/coord/digest/cursor.js';
import { roomStamp, stampStands } from '../src/coord/digest/stamp.js';
import { writeOut, writeErr } from './stdio.js';

/**
 * `mycelium hook session-start|prompt`: what Claude Code runs on SessionStart and UserPromptSubmit.
 * Claude Code sends one JSON object on stdin (`session_id`, `cwd`, `hook_event_name`, and `source`
 * or `prompt`) and adds what a hook that exits 0 prints on stdout to the model's context
 * (docs.claude.com/en/docs/claude-code/hooks). A hook must never block the person's prompt, so this
 * always exits 0 and prints nothing when mycelium is not set up here or anything fails. It is
 * reached from bin/mycelium.js without the command parser and loads no search, daemon or server code.
 * `hook prompt` first compares the room's stamp with the one its last digest recorded: when no
 * digest source was written since, it answers "nothing new" before loading the digest code at all.
 */

export const HOOK_VERBS = ['session-start', 'prompt'] as const;

interface HookInput {
  cwd?: unknown;
  prompt?: unknown;
}

/** Reads the JSON Claude Code sends; a terminal, silence or junk is no input (after at most `waitMs`). */
async function readInput(waitMs: number): Promise<HookInput> {
  // Through the stdin stream, which can stop waiting: a read of fd 0 left pending in the thread pool
  // when the wait runs out would keep the process from exiting until the writer closes the pipe.
  if (process.stdin.isTTY) return {};
  const chunks: Buffer[] = [];
  await new Promise<void>((done) => {
    const timer = setTimeout(done, waitMs);
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    process.stdin.on('end', () => (clearTimeout(timer), done()));
    process.stdin.on('error', () => (clearTimeout(timer), done()));
  });
  process.stdin.destroy();
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return value !== null && typeof value === 'object' ? (value as HookInput) : {};
  } catch {
    return {};
  }
}

export async function runHook(verb: string | undefined): Promise<void> {
  if (verb !== 'session-start' && verb !== 'prompt') {
    writeErr(`mycelium: unknown hook '${verb ?? ''}'; use \`mycelium hook session-start\` or \`mycelium hook prompt\`\n`);
    process.exitCode = 2;
    return;
  }
  try {
    const input = await readInput(2000);
    if (verb === 'prompt' && typeof input.prompt === 'string' && input.prompt.trimStart().startsWith('/')) return;
    const context = resolveContext({ cwd: typeof input.cwd === 'string' ? input.cwd : undefined, env: process.env });
    if (!context.room) return;
    if (verb === 'prompt') {
      const cursor = await readDigestCursor({ home: context.home, name: context.room }, context.handle);
      if (cursor && stampStands(cursor, roomStamp(join(roomsDir(context.home), context.room)), Date.now())) return;
    }
    const [{ Room }, { buildDigest }, { DIGEST_CONTRIBUTORS }] = await Promise.all([
      import('../src/room.js'),
      import('../src/coord/digest/index.js'),
      import('../src/coord/digest/contributors.js'),
    ]);
    const room = await Room.open(context.home, context.room);
    const digest = await buildDigest(room, context.handle, { sinceCursor: verb === 'prompt', contributors: DIGEST_CONTRIBUTORS });
    if (digest.text) writeOut(digest.text);
  } catch {
    // silent by design: a broken hook must never get between a person and their prompt
  } finally {
    process.exitCode = 0;
  }
}
