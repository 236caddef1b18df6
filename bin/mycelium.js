#!/usr/bin/env node
// Hooks run before every prompt: they skip the command parser and load only what a digest needs.
if (process.argv[2] === 'hook' && process.argv.length <= 4) {
  const { runHook } = await import('../dist/cli/hook.js');
  await runHook(process.argv[3]);
} else {
  const { main } = await import('../dist/cli/main.js');
  await main(process.argv);
}
