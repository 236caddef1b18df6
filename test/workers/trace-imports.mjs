// Loaded with `node --import`: records every module the process resolves into $TRACE_IMPORTS_FILE.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.TRACE_IMPORTS_FILE, resolved.url + '\\n');
  return resolved;
}`));
