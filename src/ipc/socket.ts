import { connect, type Socket } from 'node:net';
import type { DaemonInfo } from './daemon-info.js';

/**
 * The wire of the daemon's local IPC, for both of its sides' clients: newline-delimited JSON over
 * 127.0.0.1, every request carrying the token from the user-only daemon.json. Only node:net here, so
 * the CLI stays light; it sits below the daemon so that views (the subscription client) can reach a
 * running daemon without importing it. The typed ops are in `src/daemon/ipc-client.ts`.
 */

export interface IpcReply {
  ok: boolean;
  error?: { code: string; message: string; exitCode: number };
  [field: string]: unknown;
}

/** Raised when the daemon cannot be reached (it died since daemon.json was written). */
export class DaemonUnreachableError extends Error {}

function open(info: DaemonInfo, message: Record<string, unknown>, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: info.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DaemonUnreachableError(`the daemon did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.write(JSON.stringify({ ...message, token: info.token }) + '\n');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new DaemonUnreachableError(`cannot reach the daemon on port ${info.port}: ${err.message}`));
    });
  });
}

/** Calls each complete line of the socket's output. */
function onLines(socket: Socket, handle: (line: string) => void): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.length > 0) handle(line);
    }
  });
}

/** One request, one reply. */
export async function ipcRequest(info: DaemonInfo, message: Record<string, unknown>, timeoutMs = 30_000): Promise<IpcReply> {
  const socket = await open(info, message, Math.min(timeoutMs, 2_000));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DaemonUnreachableError(`the daemon did not reply within ${timeoutMs} ms`));
    }, timeoutMs);
    onLines(socket, (line) => {
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(line) as IpcReply);
      } catch {
        reject(new DaemonUnreachableError(`port ${info.port} did not answer like a mycelium daemon`));
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new DaemonUnreachableError('the daemon closed the connection without a reply'));
    });
  });
}

/** A long-lived request: every line the daemon sends goes to `onMessage` until `close()` or the daemon goes. */
export async function ipcStream(
  info: DaemonInfo,
  message: Record<string, unknown>,
  onMessage: (reply: IpcReply) => void,
  onEnd: () => void,
): Promise<{ close(): void }> {
  const socket = await open(info, message, 2_000);
  onLines(socket, (line) => onMessage(JSON.parse(line) as IpcReply));
  socket.once('close', onEnd);
  socket.once('error', () => {}); // 'close' follows and ends the stream
  return { close: () => socket.destroy() };
}
