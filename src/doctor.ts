import { randomBytes } from 'node:crypto';
import { mkdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { adapterStatus } from './adapters/claude-code.js';
import { resolveContext, resolveHome } from './config.js';
import { MyceliumError } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';
import { searchAvailable } from './memory-search.js';
import { roomNames } from './room.js';
import { createRoom, removeRoom } from './rooms.js';

/**
 * `mycelium doctor`: checks a machine end to end and says how to fix what is wrong.
 * ok: works. warn: works, but something is missing or unusual. fail: mycelium cannot work here.
 * unavailable: this build does not have the part, so there is nothing to check.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'unavailable';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it; absent when there is nothing to do. */
  fix?: string;
}

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const message = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0] : String(err));

async function checkHome(home: string): Promise<Check> {
  const probe = join(home, `.doctor-probe-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    await mkdir(home, { recursive: true });
    await writeFileAtomic(probe, 'probe\n');
    await unlink(probe);
    return { name: 'home', status: 'ok', detail: `${home} is writable` };
  } catch (err) {
    return {
      name: 'home',
      status: 'fail',
      detail: `cannot write in ${home} (${(err as NodeJS.ErrnoException).code ?? message(err)})`,
      fix: `make ${home} writable, or set MYCELIUM_HOME to a folder you can write`,
    };
  }
}

async function checkRooms(options: DoctorOptions): Promise<Check> {
  try {
    const context = resolveContext({ env: options.env, cwd: options.cwd });
    const names = await roomNames(context.home);
    if (names.length === 0) {
      return { name: 'rooms', status: 'warn', detail: 'no rooms yet', fix: 'mycelium room create NAME' };
    }
    if (!context.room) {
      return { name: 'rooms', status: 'warn', detail: `${names.length} rooms, none selected`, fix: `mycelium room use ${names[0]}` };
    }
    if (!names.includes(context.room)) {
      return {
        name: 'rooms',
        status: 'warn',
        detail: `the selected room '${context.room}' does not exist (rooms: ${names.join(', ')})`,
        fix: `mycelium room create ${context.room}, or mycelium room use ${names[0]}`,
      };
    }
    return { name: 'rooms', status: 'ok', detail: `${names.length} ${names.length === 1 ? 'room' : 'rooms'}; using '${context.room}'` };
  } catch (err) {
    const fix = err instanceof MyceliumError ? 'see the message: fix the config file it names' : 'check the home folder';
    return { name: 'rooms', status: 'fail', detail: message(err), fix };
  }
}

/** Creates a room, writes, reads, lists and removes memories, in a scratch home inside the real one. */
async function checkRoundTrip(home: string): Promise<Check> {
  const scratch = join(home, `.doctor-${process.pid}-${randomBytes(3).toString('hex')}`);
  const started = performance.now();
  try {
    const { room } = await createRoom(scratch, 'doctor');
    const text = 'doctor check: héllo 🌱\n';
    await room.set('checks/text', text, { handle: 'doctor' });
    await room.set('checks/json', '{"ok": true}', { handle: 'doctor' });
    const read = await room.get('checks/text');
    const json = await room.get('checks/json');
    const listed = await room.list({ prefix: 'checks/' });
    if (read.value !== text || (json.value as { ok?: boolean }).ok !== true || listed.memories.length !== 2) {
      throw new Error('a memory read back differs from what was written');
    }
    await room.remove('checks/text', 'doctor');
    await removeRoom(scratch, 'doctor', { force: true });
    const ms = Math.round(performance.now() - started);
    return { name: 'round-trip', status: 'ok', detail: `created a room, wrote, read, listed and removed memories (${ms} ms)` };
  } catch (err) {
    return { name: 'round-trip', status: 'fail', detail: message(err), fix: 'check the disk and the permissions of the home folder' };
  } finally {
    await rm(scratch, { recursive: true, force: true }).catch(() => {});
  }
}

function checkSearch(): Check[] {
  if (!searchAvailable()) {
    return [
      { name: 'search', status: 'unavailable', detail: 'not available in this build' },
      { name: 'model', status: 'unavailable', detail: 'not available in this build (no embedding search)' },
    ];
  }
  return [];
}

function checkDaemon(): Check {
  return { name: 'daemon', status: 'unavailable', detail: 'not available in this build' };
}

async function checkAdapters(env: NodeJS.ProcessEnv): Promise<Check> {
  try {
    const status = await adapterStatus(env);
    const mcp = status.mcp.state === 'current' ? 'MCP server registered' : status.mcp.state === 'different' ? 'MCP entry differs from this build' : 'MCP server not registered';
    switch (status.skill.state) {
      case 'current':
        return {
          name: 'claude-code',
          status: status.mcp.state === 'different' ? 'warn' : 'ok',
          detail: `skill installed and current; ${mcp}`,
          ...(status.mcp.state === 'different' ? { fix: 'mycelium adapter add claude-code --mcp' } : {}),
        };
      case 'not-installed':
        return { name: 'claude-code', status: 'warn', detail: `skill not installed; ${mcp}`, fix: 'mycelium adapter add claude-code (add --mcp for the MCP tools)' };
      case 'outdated':
        return { name: 'claude-code', status: 'warn', detail: `skill installed but outdated; ${mcp}`, fix: 'mycelium adapter add claude-code' };
      default:
        return {
          name: 'claude-code',
          status: 'warn',
          detail: `${status.skill.path} was changed by hand or not written by mycelium; ${mcp}`,
          fix: 'mycelium adapter add claude-code (the current file is backed up)',
        };
    }
  } catch (err) {
    return { name: 'claude-code', status: 'warn', detail: message(err), fix: 'fix the file named, then run mycelium adapter ls' };
  }
}

export async function runDoctor(options: DoctorOptions = {}): Promise<Check[]> {
  const env = options.env ?? process.env;
  const home = resolveHome(env);
  const homeCheck = await checkHome(home);
  const checks = [homeCheck, await checkRooms(options)];
  checks.push(
    homeCheck.status === 'fail'
      ? { name: 'round-trip', status: 'fail', detail: 'skipped: the home is not writable', fix: homeCheck.fix }
      : await checkRoundTrip(home),
  );
  checks.push(...checkSearch(), checkDaemon(), await checkAdapters(env));
  return checks;
}
