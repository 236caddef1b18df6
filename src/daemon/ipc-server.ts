import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { errorReply } from '../errors.js';

/** A request handler: `reply` sends one JSON line; a streaming handler keeps replying until the socket closes. */
export type IpcHandler = (message: Record<string, unknown>, reply: (value: Record<string, unknown>) => void, socket: Socket) => Promise<'stream' | void>;

/** Longest request line accepted; a search query is at most a few KB. */
const MAX_REQUEST_BYTES = 1024 * 1024;

/**
 * The daemon's local IPC server: 127.0.0.1 on a random port, newline-delimited JSON, every request
 * checked (in constant time) against a random token that only the user can read.
 */
export class IpcServer {
  readonly token = randomBytes(24).toString('hex');
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async listen(handlers: Record<string, IpcHandler>): Promise<IpcServer> {
    const server = createServer();
    const ipc = new IpcServer(server);
    server.on('connection', (socket) => ipc.accept(socket, handlers));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    return ipc;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket, handlers: Record<string, IpcHandler>): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    let buffer = '';
    const onData = (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES) return socket.destroy();
      const newline = buffer.indexOf('\n');
      if (newline === -1) return;
      socket.off('data', onData);
      void this.dispatch(buffer.slice(0, newline), socket, handlers);
    };
    socket.on('data', onData);
  }

  private async dispatch(line: string, socket: Socket, handlers: Record<string, IpcHandler>): Promise<void> {
    const reply = (value: Record<string, unknown>) => {
      if (!socket.destroyed) socket.write(JSON.stringify(value) + '\n');
    };
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line);
    } catch {
      reply({ ok: false, error: { code: 'invalid_input', message: 'malformed request', exitCode: 2 } });
      return void socket.end();
    }
    if (!this.tokenMatches(message.token)) {
      reply({ ok: false, error: { code: 'unauthorized', message: 'wrong daemon token', exitCode: 4 } });
      return void socket.end();
    }
    const handler = handlers[String(message.op)];
    try {
      if (!handler) throw new Error(`unknown op '${String(message.op)}'`);
      if ((await handler(message, reply, socket)) === 'stream') return;
    } catch (err) {
      const { exitCode, body: { error: code, message, ...data } } = errorReply(err);
      reply({ ok: false, error: { ...data, code, message, exitCode } });
    }
    socket.end();
  }

  private tokenMatches(given: unknown): boolean {
    if (typeof given !== 'string') return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
