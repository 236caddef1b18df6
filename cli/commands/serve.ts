import { wholeNumber } from '../context.js';
import { contextFrom } from '../context.js';
import { printJson, printLine, type CommonOptions } from '../output.js';

interface ServeFlags extends CommonOptions {
  host: string;
  port: string;
  token?: string;
  rateLimit?: string;
  allowHost?: string[];
}

/** `mycelium serve`: the server module (fastify) is loaded only here. Runs until SIGINT/SIGTERM. */
export async function serve(options: ServeFlags): Promise<void> {
  const { home, handle } = contextFrom(options);
  const { startServer } = await import('../../src/server/serve.js');
  const server = await startServer({
    home,
    host: options.host,
    port: wholeNumber(options.port, '--port') ?? 8000,
    token: options.token || process.env.MYCELIUM_TOKEN || undefined,
    rateLimitPerMinute: wholeNumber(options.rateLimit, '--rate-limit'),
    allowedHosts: options.allowHost,
    operator: handle,
  });
  if (options.json) printJson({ serving: home, url: server.url, daemon: server.ownDaemon ? 'own' : 'running' });
  else printLine(`mycelium serving ${home} on ${server.url}${server.ownDaemon ? ' (running the daemon for this home)' : ' (with the running daemon)'}`);
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve, resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
