import { InvalidInputError, IoError } from '../errors.js';
import { buildServer, type ServerOptions } from './app.js';
import { isLoopback } from './guard.js';

export interface ServeOptions extends ServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/** Starts the room server; refuses a non-loopback address without a token. Returns its URL and a stop function. */
export async function startServer(options: ServeOptions): Promise<{ url: string; close: () => Promise<void> }> {
  if (!isLoopback(options.host) && !options.token) {
    throw new InvalidInputError(
      `refusing to serve on ${options.host} without a token: anyone on the network could read and write your rooms; pass --token or set MYCELIUM_TOKEN`,
    );
  }
  const app = buildServer(options);
  let address: string;
  try {
    address = await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new IoError(`cannot listen on ${options.host}:${options.port} (${code}); pick another --port or --host`);
  }
  return { url: address, close: () => app.close() };
}
