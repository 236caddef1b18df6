import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('rooms', () => {
  it('create makes the folder; the first room becomes active', () => {
    const home = tempDir();
    const created = cli(['room', 'create', 'alpha', '--json'], { home });
    expect(JSON.parse(created.stdout)).toEqual({ room: 'alpha', path: join(home, 'rooms', 'alpha'), active: true });
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toMatch(/\[rooms\]\s*\nactive = "alpha"/);
    expect(JSON.parse(cli(['room', 'create', 'beta', '--json'], { home }).stdout).active).toBe(false);
    const again = cli(['room', 'create', 'beta'], { home });
    expect([again.code, again.stderr]).toEqual([2, "mycelium: room 'beta' already exists; select it with `mycelium room use beta`\n"]);
  });

  it('ls shows name, memory count, last change and the active room', () => {
    const home = tempDir();
    cli(['room', 'create', 'alpha'], { home });
    cli(['room', 'create', 'beta'], { home });
    cli(['memory', 'set', 'a', '1', '--room', 'beta'], { home });
    cli(['memory', 'set', 'b/c', '2', '--room', 'beta'], { home });
    const rooms = JSON.parse(cli(['room', 'ls', '--json'], { home }).stdout).rooms;
    expect(rooms.map((r: Record<string, unknown>) => [r.name, r.memories, r.active])).toEqual([
      ['alpha', 0, true],
      ['beta', 2, false],
    ]);
    expect(rooms[0].last_change).toBeNull();
    expect(Date.parse(rooms[1].last_change)).toBeGreaterThan(Date.now() - 60_000);
    expect(cli(['room', 'ls'], { home }).stdout).toMatch(/^\* alpha\s+0 memories\s+-\n  beta\s+2 memories\s+\S+Z\n$/);
  });

  it('use switches the global room; --local writes the project file which then wins', () => {
    const home = tempDir();
    const project = tempDir();
    mkdirSync(join(project, 'sub'));
    for (const name of ['alpha', 'beta', 'gamma']) cli(['room', 'create', name], { home });
    expect(cli(['room', 'use', 'beta'], { home }).code).toBe(0);
    cli(['memory', 'set', 'where', 'global'], { home });
    expect(existsSync(join(home, 'rooms', 'beta', 'where.md'))).toBe(true);

    expect(cli(['room', 'use', 'gamma', '--local'], { home, cwd: project }).code).toBe(0);
    expect(readFileSync(join(project, '.mycelium', 'config.toml'), 'utf8')).toContain('active = "gamma"');
    cli(['memory', 'set', 'where', 'local'], { home, cwd: join(project, 'sub') });
    expect(existsSync(join(home, 'rooms', 'gamma', 'where.md'))).toBe(true);

    // MYCELIUM_ROOM beats config files, --room beats everything.
    cli(['memory', 'set', 'where', 'env'], { home, cwd: project, env: { MYCELIUM_ROOM: 'alpha' } });
    expect(existsSync(join(home, 'rooms', 'alpha', 'where.md'))).toBe(true);
    const flagged = cli(['memory', 'get', 'where', '--room', 'beta'], { home, cwd: project, env: { MYCELIUM_ROOM: 'alpha' } });
    expect(flagged.stdout).toBe('global');
  });

  it('resolves the handle: --handle > env > config identity > OS user', () => {
    const home = tempDir();
    cli(['room', 'create', 'r'], { home });
    const by = (args: string[], env = {}) => {
      cli(['memory', 'set', 'k', 'v', ...args], { home, env });
      return JSON.parse(cli(['memory', 'get', 'k', '--json'], { home }).stdout).updated_by;
    };
    expect(by([])).toBe(userInfo().username);
    writeFileSync(join(home, 'config.toml'), readFileSync(join(home, 'config.toml'), 'utf8') + '\n[identity]\nname = "cfg-agent"\n');
    expect(by([])).toBe('cfg-agent');
    expect(by([], { MYCELIUM_AGENT_HANDLE: 'env-agent' })).toBe('env-agent');
    expect(by(['--handle', 'flag-agent'], { MYCELIUM_AGENT_HANDLE: 'env-agent' })).toBe('flag-agent');
  });

  it('rm refuses a non-empty room without --force', () => {
    const home = tempDir();
    cli(['room', 'create', 'r'], { home });
    cli(['memory', 'set', 'k', 'v', '--room', 'r'], { home });
    const refused = cli(['room', 'rm', 'r'], { home });
    expect([refused.code, refused.stderr]).toEqual([
      3,
      "mycelium: room 'r' is not empty (1 memories); pass --force to delete it and everything in it\n",
    ]);
    expect(existsSync(join(home, 'rooms', 'r', 'k.md'))).toBe(true);
    expect(cli(['room', 'rm', 'r', '--force'], { home }).stdout.trim()).toBe("removed room 'r' (1 memory)");
    expect(existsSync(join(home, 'rooms', 'r'))).toBe(false);
    cli(['room', 'create', 'empty'], { home });
    expect(cli(['room', 'rm', 'empty'], { home }).code).toBe(0);
  });
});
