#!/usr/bin/env node
// A reader that closed the pipe (`mycelium memory ls | head -1`) ends the command quietly: exit 0.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
// The hot verbs (memory set/get/ls, digest, hook, claim, plan tasks, plan task done) skip the command parser and load only their own
// code (cli/hot-verbs.ts); every other command line, and any it is unsure of, goes to the full parser.
const hot = ['memory', 'digest', 'hook', 'claim', 'plan'].includes(process.argv[2]) && (await import('../dist/cli/hot-verbs.js')).runHotVerb;
if (!hot || !(await hot(process.argv))) {
  const { main } = await import('../dist/cli/main.js');
  await main(process.argv);
}
