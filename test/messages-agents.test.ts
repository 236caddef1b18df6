import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom } from './helpers.js';

const at = (home: string, handle: string, ...args: string[]) => cli([...args, '--room', 'team', '--handle', handle], { home });

describe('agent commands (CLI)', () => {
  it('register writes a card; ls shows it online; a card seen long ago is offline', () => {
    const home = homeWithRoom();
    const reg = at(home, 'ana', 'agent', 'register', '--role', 'reviewer', '--description', 'reviews PRs', '--json');
    expect(reg.code).toBe(0);
    expect(JSON.parse(reg.stdout)).toMatchObject({ handle: 'ana', role: 'reviewer', description: 'reviews PRs' });
    const file = readFileSync(join(home, 'rooms', 'team', 'agents', 'ana.md'), 'utf8');
    expect(file).toContain('role: reviewer');
    expect(file).toContain('last_seen:');
    // a second register keeps what it does not name
    expect(at(home, 'ana', 'agent', 'register', '--description', 'reviews and merges').code).toBe(0);
    at(home, 'bob', 'agent', 'register', '--role', 'builder');
    const bobPath = join(home, 'rooms', 'team', 'agents', 'bob.md');
    writeFileSync(bobPath, readFileSync(bobPath, 'utf8').replace(/last_seen: .*/, "last_seen: '2020-01-01T00:00:00.000Z'"));
    const ls = JSON.parse(at(home, 'ana', 'agent', 'ls', '--json').stdout);
    expect(ls.map((c: { handle: string; role: string; online: boolean }) => [c.handle, c.role, c.online])).toEqual([
      ['ana', 'reviewer', true],
      ['bob', 'builder', false],
    ]);
    expect(at(home, 'ana', 'agent', 'ls').stdout).toMatch(/bob\s+builder\s+offline/);
    const card = JSON.parse(at(home, 'ana', 'agent', 'card', 'bob', '--json').stdout);
    expect(card).toMatchObject({ handle: 'bob', online: false });
    // heartbeat brings bob back online
    expect(at(home, 'bob', 'agent', 'heartbeat').code).toBe(0);
    expect(JSON.parse(at(home, 'ana', 'agent', 'card', 'bob', '--json').stdout).online).toBe(true);
  });

  it('heartbeat and card of an unregistered handle exit 1; a bad handle exits 2 and writes nothing', () => {
    const home = homeWithRoom();
    const hb = at(home, 'ghost', 'agent', 'heartbeat');
    expect(hb.code).toBe(1);
    expect(hb.stderr).toContain('mycelium agent register --handle ghost');
    expect(at(home, 'ana', 'agent', 'card', 'ghost').code).toBe(1);
    const bad = at(home, 'a/b', 'agent', 'register');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid handle');
    expect(JSON.parse(at(home, 'ana', 'agent', 'ls', '--json').stdout)).toEqual([]);
  });

  it('notes: set from an argument or stdin, get prints them; notes are per handle; a bad action exits 2', () => {
    const home = homeWithRoom();
    expect(at(home, 'ana', 'agent', 'notes').stdout).toBe('');
    expect(at(home, 'ana', 'agent', 'notes', 'set', 'redis is flaky').code).toBe(0);
    expect(at(home, 'ana', 'agent', 'notes', 'get').stdout).toBe('redis is flaky\n');
    const piped = cli(['agent', 'notes', 'set', '-', '--room', 'team', '--handle', 'bob'], { home, input: 'line one\nline two\n' });
    expect(piped.code).toBe(0);
    expect(at(home, 'bob', 'agent', 'notes').stdout).toBe('line one\nline two\n');
    expect(at(home, 'ana', 'agent', 'notes').stdout).toBe('redis is flaky\n');
    expect(readFileSync(join(home, 'rooms', 'team', 'agents', 'ana', 'notes.md'), 'utf8')).toContain('redis is flaky');
    expect(at(home, 'ana', 'agent', 'notes', 'erase').code).toBe(2);
    // notes are not cards
    expect(JSON.parse(at(home, 'ana', 'agent', 'ls', '--json').stdout)).toEqual([]);
  });

  it('inbox refreshes last_seen of a registered agent at most once per half the presence window', () => {
    const home = homeWithRoom();
    at(home, 'ana', 'agent', 'register');
    const path = join(home, 'rooms', 'team', 'agents', 'ana.md');
    const recent = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(path, readFileSync(path, 'utf8').replace(/last_seen: .*/, `last_seen: '${recent}'`));
    at(home, 'ana', 'inbox');
    expect(readFileSync(path, 'utf8')).toContain(recent); // a minute old: not rewritten
    writeFileSync(path, readFileSync(path, 'utf8').replace(/last_seen: .*/, "last_seen: '2020-01-01T00:00:00.000Z'"));
    at(home, 'ana', 'inbox');
    expect(readFileSync(path, 'utf8')).not.toContain('2020-01-01');
  });

  it('await refreshes last_seen the same way (an agent waiting in a loop is online, and a fresh card is left alone)', () => {
    const home = homeWithRoom();
    at(home, 'ana', 'agent', 'register');
    const path = join(home, 'rooms', 'team', 'agents', 'ana.md');
    const recent = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(path, readFileSync(path, 'utf8').replace(/last_seen: .*/, `last_seen: '${recent}'`));
    expect(at(home, 'ana', 'await', '--timeout', '0.2').code).toBe(1); // a timeout
    expect(readFileSync(path, 'utf8')).toContain(recent);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/last_seen: .*/, "last_seen: '2020-01-01T00:00:00.000Z'"));
    expect(JSON.parse(at(home, 'bob', 'agent', 'ls', '--json').stdout)[0].online).toBe(false);
    expect(at(home, 'ana', 'await', '--timeout', '0.2').code).toBe(1);
    expect(readFileSync(path, 'utf8')).not.toContain('2020-01-01');
    expect(JSON.parse(at(home, 'bob', 'agent', 'ls', '--json').stdout)[0]).toMatchObject({ handle: 'ana', online: true });
  });
});
