import type { AddressInfo } from 'node:net';
import { roomsDir } from '../config.js';
import { InvalidInputError, IoError } from '../errors.js';
import { removeStaleTemps } from '../fs-atomic.js';
import { buildServer, type ServerOptions } from './app.js';
import { linkDaemon } from './daemon-link.js';
import { isLoopback } from './guard.js';

export interface ServeOptions extends ServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/**
 * Starts the room server; refuses a non-loopback address without a token. Uses the home's running
 * daemon, or runs one in this process. Returns its URL and a stop function.
 */
export async function startServer(options: ServeOptions): Promise<{ url: string; close: () => Promise<void>; ownDaemon: boolean }> {
  if (!isLoopback(options.host) && !options.token) {
    throw new InvalidInputError(
      `refusing to serve on ${options.host} without a token: anyone on the network could read and write your rooms; pass --token or set MYCELIUM_TOKEN`,
    );
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new InvalidInputError(`--port must be a whole number from 0 to 65535, got ${options.port}`);
  }
  await removeStaleTemps(roomsDir(options.home)); // left by a server or writer killed mid-write
  const daemon = await linkDaemon(options.home);
  const app = buildServer(options, daemon);
  let address: string;
  try {
    await app.listen({ host: options.host, port: options.port });
    const port = (app.server.address() as AddressInfo).port;
    address = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  } catch (err) {
    await daemon.close();
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new IoError(`cannot listen on ${options.host}:${options.port} (${code}); pick another --port or --host`);
  }
  const close = async () => {
    await app.close();
    await daemon.close();
  };
  return { url: address, close, ownDaemon: daemon.own };
}
