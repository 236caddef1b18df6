#!/usr/bin/env node
// A reader that closed the pipe (`mycelium memory ls | head -1`) ends the command quietly: exit 0.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
// Hooks run before every prompt: they skip the command parser and load only what a digest needs.
if (process.argv[2] === 'hook' && process.argv.length <= 4) {
  const { runHook } = await import('../dist/cli/hook.js');
  await runHook(process.argv[3]);
} else {
  const { main } = await import('../dist/cli/main.js');
  await main(process.argv);
}
