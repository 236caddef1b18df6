import { randomBytes } from 'node:crypto';
import { mkdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { adapterStatus } from './adapters/claude-code.js';
import { runningDaemon } from './ipc/daemon-info.js';
import { askDaemonOp } from './daemon/ipc-client.js';
import { findLocalConfig, globalConfigPath, homeFolders, readConfig, resolveContext, resolveHome } from './config.js';
import { MyceliumError } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';
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
  /** The environment the face was given (doctor reads the home, model and adapter settings from it). */
  env: NodeJS.ProcessEnv;
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
    // Read both config files even when the environment names room and handle (resolveContext then skips them).
    readConfig(findLocalConfig(options.cwd ?? process.cwd(), homeFolders(context.home, options.env)));
    readConfig(globalConfigPath(context.home));
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

/**
 * Builds an index and searches it (BM25, so it needs no model), then loads the embedding model and,
 * when it loads, runs a hybrid search with it: in a scratch home, like the round-trip.
 */
async function checkSearch(home: string, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const scratch = join(home, `.doctor-${process.pid}-${randomBytes(3).toString('hex')}`);
  const { searchRoom } = await import('./search/room-index.js');
  const { loadEmbedder } = await import('./search/embedder.js');
  const checks: Check[] = [];
  try {
    const { room } = await createRoom(scratch, 'doctor');
    await room.set('decisions/db', 'We chose PostgreSQL 16 for the main store', { handle: 'doctor' });
    await room.set('notes/cooking', 'Pasta wants salted boiling water', { handle: 'doctor' });
    let started = performance.now();
    const found = await searchRoom(scratch, 'doctor', 'postgresql store', { embedder: null });
    if (found.results[0]?.key !== 'decisions/db') throw new Error(`a BM25 search found ${found.results[0]?.key ?? 'nothing'} instead of the memory it should`);
    checks.push({ name: 'search', status: 'ok', detail: `built an index and found a memory with BM25 (${Math.round(performance.now() - started)} ms)` });

    started = performance.now();
    const loaded = await loadEmbedder({ env });
    if (!loaded.embedder) {
      checks.push({
        name: 'model',
        status: 'warn',
        detail: `no embedding model, search uses BM25 only: ${loaded.reason}`,
        fix: 'set MYCELIUM_MODEL_DIR to a local copy of the model (transformers.js layout), or let it download once when online',
      });
      return checks;
    }
    const { model, dimension } = loaded.embedder;
    const hybrid = await searchRoom(scratch, 'doctor', 'database', { embedder: loaded.embedder, mode: 'hybrid' });
    if (hybrid.mode !== 'hybrid' || hybrid.results.length === 0) throw new Error(`a hybrid search with ${model} returned no results`);
    checks.push({ name: 'model', status: 'ok', detail: `${model} loaded (dimension ${dimension}); a hybrid search ran (${Math.round(performance.now() - started)} ms)` });
    return checks;
  } catch (err) {
    const fix = 'run `mycelium memory reindex` in a room; if it fails the same way, report it';
    if (checks.length === 0) {
      return [
        { name: 'search', status: 'fail', detail: message(err), fix },
        { name: 'model', status: 'warn', detail: 'skipped: search failed' },
      ];
    }
    return [...checks, { name: 'model', status: 'warn', detail: `the model loaded but searching with it failed: ${message(err)}`, fix }];
  } finally {
    await rm(scratch, { recursive: true, force: true }).catch(() => {});
  }
}

/** The daemon is optional: without it searches load the index per process and subscribers get no cursors. */
async function checkDaemon(home: string): Promise<Check> {
  const info = runningDaemon(home);
  if (!info) {
    return {
      name: 'daemon',
      status: 'warn',
      detail: 'not running (optional: it keeps indexes and the model warm and logs events for subscribers)',
      fix: 'mycelium daemon start',
    };
  }
  try {
    const reply = await askDaemonOp(home, 'ping', {}, 5_000);
    if (reply) return { name: 'daemon', status: 'ok', detail: `running (pid ${info.pid}) and answering on 127.0.0.1:${info.port}` };
    return { name: 'daemon', status: 'warn', detail: `pid ${info.pid} runs but does not answer on port ${info.port}`, fix: 'mycelium daemon stop, then mycelium daemon start' };
  } catch (err) {
    return { name: 'daemon', status: 'warn', detail: `the daemon refused a ping: ${message(err)}`, fix: 'mycelium daemon stop, then mycelium daemon start' };
  }
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

export async function runDoctor(options: DoctorOptions): Promise<Check[]> {
  const env = options.env;
  const home = resolveHome(env);
  const homeCheck = await checkHome(home);
  const checks = [homeCheck, await checkRooms(options)];
  checks.push(
    homeCheck.status === 'fail'
      ? { name: 'round-trip', status: 'fail', detail: 'skipped: the home is not writable', fix: homeCheck.fix }
      : await checkRoundTrip(home),
  );
  if (homeCheck.status === 'fail') {
    checks.push({ name: 'search', status: 'fail', detail: 'skipped: the home is not writable', fix: homeCheck.fix });
    checks.push({ name: 'model', status: 'warn', detail: 'skipped: the home is not writable' });
  } else checks.push(...(await checkSearch(home, env)));
  checks.push(await checkDaemon(home), await checkAdapters(env));
  return checks;
}
