// Like trace-imports.mjs, but each line is `<pid> <url>`, so a test can tell the command it ran from
// the detached processes that command starts (they inherit NODE_OPTIONS and write to the same file).
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.TRACE_IMPORTS_FILE, process.pid + ' ' + resolved.url + '\\n');
  return resolved;
}`));
