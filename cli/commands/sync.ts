import { requireRoom } from '../../src/config.js';
import { ExitCode, InvalidInputError, MyceliumError } from '../../src/errors.js';
import type { SyncReport } from '../../src/sync/report.js';
import { cloneRoom, connectGitRemote, resolveCloneSource, sharedRooms, syncRoom, type RemoteOptions } from '../../src/sync/share.js';
import { contextFrom } from '../context.js';
import { printJson, printLine, type CommonOptions } from '../output.js';

interface RemoteFlags extends CommonOptions {
  token?: string;
}

/** What a sync needs from the command line and the environment (git runs with the user's own). */
function remote(options: RemoteFlags): RemoteOptions {
  return { token: options.token || process.env.MYCELIUM_TOKEN || undefined, env: process.env };
}

export async function roomClone(source: string, name: string | undefined, options: RemoteFlags): Promise<void> {
  const context = contextFrom(options);
  const cloned = await cloneRoom(context.home, resolveCloneSource(source, process.env), name, context.handle, remote(options));
  const count = cloned.report?.incoming.length;
  const memories = count === undefined ? '' : ` ${count} ${count === 1 ? 'memory' : 'memories'}`;
  if (options.json) return printJson({ room: cloned.room, via: cloned.via, source: cloned.source });
  printLine(`cloned${memories} from ${cloned.source} into room '${cloned.room}' (${cloned.via})`);
}

export async function roomRemote(name: string, url: string, options: CommonOptions): Promise<void> {
  const context = contextFrom(options);
  const room = await connectGitRemote(context.home, name, url, context.handle, remote(options));
  if (options.json) return printJson({ room: room.name, remote: url, path: room.dir });
  printLine(`room '${room.name}' now syncs with ${url}; run \`mycelium sync --room ${room.name}\` to push it`);
}

/** Syncs the chosen room or every shared room; exit 3 when any conflict was kept, 4 when a remote failed. */
export async function sync(options: RemoteFlags & { all?: boolean }): Promise<void> {
  const context = contextFrom(options);
  if (options.all && options.room) throw new InvalidInputError('give --room or --all, not both');
  const names = options.all ? await sharedRooms(context.home) : [requireRoom(context)];
  const reports: SyncReport[] = [];
  const failures: { room: string; error: string; code: string }[] = [];
  let exitCode: number = ExitCode.ok;
  for (const name of names) {
    try {
      const report = await syncRoom(context.home, name, context.handle, remote(options));
      reports.push(report);
      if (report.conflicts.length > 0) exitCode = Math.max(exitCode, ExitCode.conflict);
      if (!options.json) printLine(describe(report));
    } catch (err) {
      // One named room fails as the command; with --all a failure is reported beside the others.
      if (!(err instanceof MyceliumError) || !options.all) throw err;
      failures.push({ room: name, error: err.message, code: err.code });
      exitCode = Math.max(exitCode, err.exitCode);
      process.stderr.write(`mycelium: ${name}: ${err.message}\n`);
    }
  }
  if (options.json) printJson(options.all ? { rooms: reports, failures } : reports[0]);
  else if (names.length === 0) printLine('no shared rooms; connect one with `mycelium room remote NAME URL`');
  process.exitCode = exitCode;
}

function describe(report: SyncReport): string {
  const list = (changes: { type: string; key: string }[]) =>
    changes.length === 0 ? 'nothing' : changes.map((c) => `${{ created: '+', updated: '~', deleted: '-' }[c.type]}${c.key}`).join(' ');
  const lines = [
    `${report.room} <-> ${report.remote} (${report.via}): in ${report.incoming.length}, out ${report.outgoing.length}`,
    `  in:  ${list(report.incoming)}`,
    `  out: ${list(report.outgoing)}`,
  ];
  for (const c of report.conflicts) {
    lines.push(`  conflict: ${c.key} kept the remote version; your version is at ${c.conflict_key}`);
  }
  return lines.join('\n');
}
