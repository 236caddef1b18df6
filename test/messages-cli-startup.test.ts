import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { TOP_LEVEL_COMMANDS, buildProgram } from '../cli/main.js';
import { cli, tempDir } from './helpers.js';

/** A command's whole shape: its name, arguments, flags and subcommands, recursively. */
function shape(command: Command): unknown {
  return {
    name: command.name(),
    description: command.description(),
    args: command.registeredArguments.map((a) => a.name()),
    options: command.options.map((o) => o.flags),
    commands: command.commands.map(shape),
  };
}

describe('CLI start-up: a command line builds only its own top-level command', () => {
  it('lists every top-level command, and each built alone is the same as in the whole program', () => {
    const whole = buildProgram();
    expect(whole.commands.map((c) => c.name()).sort()).toEqual([...TOP_LEVEL_COMMANDS].sort());
    for (const name of TOP_LEVEL_COMMANDS) {
      const alone = buildProgram(name);
      // Only the registrations that define it (one may define a few top-level commands).
      expect(alone.commands.length).toBeLessThan(whole.commands.length / 2);
      const built = alone.commands.find((c) => c.name() === name);
      expect(built, name).toBeDefined();
      expect(shape(built!), name).toEqual(shape(whole.commands.find((c) => c.name() === name)!));
      expect(alone.options.map((o) => o.flags)).toEqual(whole.options.map((o) => o.flags));
    }
    // Anything that is not a command name (help, a flag first, a typo) gets the whole program.
    for (const first of [undefined, '--help', '--room', 'nope']) expect(buildProgram(first).commands).toHaveLength(whole.commands.length);
  });

  it('help, a global flag first, and an unknown command still behave as before', () => {
    const home = tempDir();
    const help = cli(['--help'], { home });
    expect(help.code).toBe(0);
    for (const name of ['memory', 'room', 'inbox', 'plan', 'negotiate', 'claim']) expect(help.stdout).toContain(name);
    const memoryHelp = cli(['memory', '--help'], { home });
    expect(memoryHelp.code).toBe(0);
    expect(memoryHelp.stdout).toContain('search');
    const unknown = cli(['nope'], { home });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'nope'");
    expect(cli(['room', 'create', 'team'], { home }).code).toBe(0);
    expect(cli(['--room', 'team', 'memory', 'set', 'a', 'b'], { home }).code).toBe(0);
    expect(cli(['memory', 'get', 'a', '--room', 'team'], { home }).stdout.trim()).toBe('b');
  });
});
