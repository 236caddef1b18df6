import { MyceliumError } from '../errors.js';
import { runningDaemon } from '../ipc/daemon-info.js';
import { DaemonUnreachableError, ipcRequest, type IpcReply } from '../ipc/socket.js';
import type { IpcOp, IpcReplyOf, IpcRequestOf } from './protocol.js';

/**
 * The typed client side of the daemon's local IPC (the wire itself is `src/ipc/socket.ts`): a
 * request to this home's daemon when one runs, one reply type per op. Only node:net below, so the
 * CLI stays light.
 */

/** An error the daemon reported, with the exit code and code it carries. */
export class DaemonReplyError extends MyceliumError {
  constructor(
    message: string,
    override readonly exitCode: number,
    override readonly code: string,
  ) {
    super(message);
  }
}

/**
 * Asks this home's daemon, when one runs: its reply, or null when no daemon runs or it cannot be
 * reached (the caller then does the work in-process). An error the daemon reports is thrown.
 */
export async function askDaemon(home: string, message: Record<string, unknown>, timeoutMs?: number): Promise<IpcReply | null> {
  const info = runningDaemon(home);
  if (!info) return null;
  let reply: IpcReply;
  try {
    reply = await ipcRequest(info, message, timeoutMs);
  } catch (err) {
    if (err instanceof DaemonUnreachableError) return null;
    throw err;
  }
  if (!reply.ok) throw new DaemonReplyError(reply.error?.message ?? 'the daemon refused', reply.error?.exitCode ?? 4, reply.error?.code ?? 'error');
  return reply;
}

/** `askDaemon` for one op of the typed protocol: the op's reply, or null when no daemon answers. */
export async function askDaemonOp<Op extends IpcOp>(home: string, op: Op, request: IpcRequestOf<Op>, timeoutMs?: number): Promise<IpcReplyOf<Op> | null> {
  const reply = await askDaemon(home, { ...request, op }, timeoutMs);
  return reply as unknown as IpcReplyOf<Op> | null; // the daemon's handlers are typed by the same protocol
}
