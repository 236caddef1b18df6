import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('the home folder is never a project folder', () => {
  it('room use --local under $HOME writes the project file, never ~/.mycelium/config.toml', () => {
    const user = tempDir();
    const home = join(user, '.mycelium');
    const project = join(user, 'work', 'app');
    mkdirSync(project, { recursive: true });
    const env = { HOME: user };
    expect(cli(['room', 'create', 'a'], { home, env, cwd: user }).code).toBe(0);
    expect(cli(['room', 'create', 'b'], { home, env, cwd: user }).code).toBe(0);
    const used = cli(['room', 'use', 'b', '--local', '--json'], { home, cwd: project, env });
    expect(used.code, used.stderr).toBe(0);
    expect(JSON.parse(used.stdout).config).toBe(join(project, '.mycelium', 'config.toml'));
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toMatch(/active = "a"/);
    expect(cli(['memory', 'set', 'k', 'v', '--json'], { home, cwd: project, env }).stdout).toMatch(/"room": "b"/);
    expect(cli(['memory', 'set', 'k', 'v', '--json'], { home, cwd: join(user, 'work'), env }).stdout).toMatch(/"room": "a"/);
    const inHome = cli(['room', 'use', 'b', '--local'], { home, cwd: user, env });
    expect(inHome.code).toBe(2);
    expect(inHome.stderr).toMatch(/holds a mycelium home, not a project/);
  });

  it('with another MYCELIUM_HOME, ~/.mycelium/config.toml is not taken for a project config', () => {
    const user = tempDir();
    const defaultHome = join(user, '.mycelium');
    const env = { HOME: user };
    expect(cli(['room', 'create', 'personal'], { home: defaultHome, env, cwd: user }).code).toBe(0);
    const other = tempDir();
    expect(cli(['room', 'create', 'team'], { home: other, env }).code).toBe(0);
    mkdirSync(join(user, 'src'));
    const set = cli(['memory', 'set', 'k', 'v', '--json'], { home: other, cwd: join(user, 'src'), env });
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout).room).toBe('team');
  });
});

describe('room selection follows one rule', () => {
  it('a git clone into a fresh home is selected, like an HTTP clone', () => {
    const noIdentity = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
    const remote = join(tempDir(), 'team.git');
    spawnSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
    const ana = tempDir();
    cli(['room', 'create', 'team'], { home: ana, env: noIdentity });
    cli(['memory', 'set', 'decisions/db', 'Postgres'], { home: ana, env: noIdentity });
    expect(cli(['room', 'remote', 'team', remote], { home: ana, env: noIdentity }).code).toBe(0);
    expect(cli(['sync'], { home: ana, env: noIdentity }).code).toBe(0);
    const bo = tempDir();
    const cloned = cli(['room', 'clone', remote, 'team'], { home: bo, env: noIdentity });
    expect(cloned.code, cloned.stderr).toBe(0);
    const got = cli(['memory', 'get', 'decisions/db'], { home: bo, env: noIdentity });
    expect([got.code, got.stdout]).toEqual([0, 'Postgres']);
  });

  it('room rm of the active room leaves no config pointing at it', () => {
    const home = tempDir();
    cli(['room', 'create', 'a'], { home });
    expect(cli(['room', 'rm', 'a'], { home }).code).toBe(0);
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).not.toMatch(/active/);
    const get = cli(['memory', 'get', 'x'], { home });
    expect(get.stderr).toMatch(/no room selected/);
    cli(['room', 'create', 'b'], { home });
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toMatch(/active = "b"/);
    expect(existsSync(join(home, 'rooms', 'a'))).toBe(false);
  });
});
