#!/usr/bin/env node
// A reader that closed the pipe (`mycelium memory ls | head -1`) ends the command quietly: exit 0.
// The handler goes on each stream when something first uses it: Node builds the streams lazily, a
// pipe stream costs a start milliseconds, and the commands print through cli/stdio.ts without them.
for (const name of ['stdout', 'stderr']) {
  const { get } = Object.getOwnPropertyDescriptor(process, name);
  let stream;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: true,
    get() {
      if (stream === undefined) {
        stream = get.call(process);
        stream.on('error', (err) => {
          if (err.code === 'EPIPE') process.exit(0);
          throw err;
        });
      }
      return stream;
    },
  });
}
// Node 22.1+ keeps V8's compiled code of our modules on disk between runs (NODE_DISABLE_COMPILE_CACHE
// turns it off); on Node 20 there is no such cache and every start compiles every module again.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
// The hot verbs (memory set/get/ls, digest, hook, claim, plan tasks, plan task done) skip the command parser and load only their own
// code (cli/hot-verbs.ts); every other command line, and any it is unsure of, goes to the full parser.
const hot = ['memory', 'digest', 'hook', 'claim', 'plan'].includes(process.argv[2]) && (await import('../dist/cli/hot-verbs.js')).runHotVerb;
if (!hot || !(await hot(process.argv))) {
  const { main } = await import('../dist/cli/main.js');
  await main(process.argv);
}
