// Runs a command line through the whole commander program, never the hot-verb fast path.
const { main } = await import('../../dist/cli/main.js');
await main(process.argv);
