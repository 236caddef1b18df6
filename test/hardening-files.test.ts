import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RoomIndex } from '../src/search/room-index.js';
import { cli, cliAsync, homeWithRoom, startServe, tempDir } from './helpers.js';

/** A home with room 'team', and outside it a secret file and a folder holding one. */
function homeWithOutside() {
  const home = homeWithRoom();
  const room = join(home, 'rooms', 'team');
  const outside = tempDir();
  writeFileSync(join(outside, 'secret.md'), 'the outside secret\n');
  mkdirSync(join(outside, 'folder'));
  writeFileSync(join(outside, 'folder', 'x.md'), 'outside x\n');
  return { home, room, outside };
}

describe('symlinks in a room are never followed', () => {
  it('CLI: get, set and rm refuse a symlinked file or folder, exit 2, and leave the outside untouched', () => {
    const { home, room, outside } = homeWithOutside();
    symlinkSync(join(outside, 'secret.md'), join(room, 'leak.md'));
    symlinkSync(join(outside, 'folder'), join(room, 'notes'));

    const get = cli(['memory', 'get', 'leak'], { home });
    expect([get.code, get.stdout]).toEqual([2, '']);
    expect(get.stderr).toBe("mycelium: 'leak.md' in the room is a symlink; mycelium never follows symlinks in a room: replace it with a real file or folder\n");
    expect(cli(['memory', 'get', 'notes/x'], { home }).stderr).toMatch(/'notes' in the room is a symlink/);

    for (const args of [
      ['memory', 'set', 'notes/y', 'written through'],
      ['memory', 'set', 'notes/x', 'overwritten'],
      ['memory', 'set', 'leak', 'overwritten'],
      ['memory', 'rm', 'notes/x'],
      ['memory', 'rm', 'leak'],
    ]) {
      const result = cli(args, { home });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/is a symlink; mycelium never follows symlinks/);
    }
    expect(readFileSync(join(outside, 'secret.md'), 'utf8')).toBe('the outside secret\n');
    expect(readFileSync(join(outside, 'folder', 'x.md'), 'utf8')).toBe('outside x\n');
    expect(existsSync(join(outside, 'folder', 'y.md'))).toBe(false);
    expect(lstatSync(join(room, 'leak.md')).isSymbolicLink()).toBe(true);

    cli(['memory', 'set', 'real', 'inside'], { home });
    const ls = cli(['memory', 'ls', '--json'], { home });
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout).memories.map((m: { key: string }) => m.key)).toEqual(['real']);
    expect(ls.stderr).toMatch(/leak\.md: skipped, it is a symlink/);
    expect(ls.stderr).toMatch(/notes: skipped, it is a symlink/);
  });

  it('HTTP: GET, PUT and DELETE through a symlink are refused with 400 and no path', async () => {
    const { home, room, outside } = homeWithOutside();
    symlinkSync(join(outside, 'secret.md'), join(room, 'leak.md'));
    symlinkSync(join(outside, 'folder'), join(room, 'notes'));
    const server = await startServe(home);
    const get = await fetch(`${server.url}/rooms/team/memory/leak`);
    const body = await get.text();
    expect(get.status).toBe(400);
    expect(body).not.toContain('outside secret');
    expect(body).not.toContain(outside);
    const put = await fetch(`${server.url}/rooms/team/memory/notes/y`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ value: 'through' }),
    });
    expect(put.status).toBe(400);
    const del = await fetch(`${server.url}/rooms/team/memory/notes/x`, { method: 'DELETE' });
    expect(del.status).toBe(400);
    expect(existsSync(join(outside, 'folder', 'y.md'))).toBe(false);
    expect(existsSync(join(outside, 'folder', 'x.md'))).toBe(true);
  });

  it('the index never holds outside content: search does not find it', async () => {
    const { home, room, outside } = homeWithOutside();
    writeFileSync(join(outside, 'folder', 'x.md'), 'zebracorn outside words\n');
    writeFileSync(join(outside, 'secret.md'), 'zebracorn secret words\n');
    symlinkSync(join(outside, 'secret.md'), join(room, 'leak.md'));
    symlinkSync(join(outside, 'folder'), join(room, 'notes'));
    cli(['memory', 'set', 'inside', 'zebracorn inside words'], { home });
    const index = await RoomIndex.open(home, 'team', { embedder: null });
    await index.refresh(["leak", "notes/x", "inside"]);
    const found = await index.search('zebracorn', { mode: 'bm25' });
    expect(found.results.map((r) => r.key)).toEqual(['inside']);
    await index.close();
  });

  it('git: a symlink committed by a peer arrives as a plain file, and a write never goes through it', () => {
    const outside = tempDir();
    writeFileSync(join(outside, 'target.md'), 'outside target\n');
    const remote = join(tempDir(), 'team.git');
    const env = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
    const git = (args: string[], cwd: string) => {
      const r = spawnSync('git', ['-c', 'user.name=m', '-c', 'user.email=m@x', ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
      if (r.status !== 0) throw new Error(r.stderr);
      return r.stdout;
    };
    git(['init', '-q', '--bare', '-b', 'main', remote], '/');
    const peer = tempDir();
    git(['clone', '-q', remote, peer], '/');
    symlinkSync(join(outside, 'target.md'), join(peer, 'evil.md'));
    symlinkSync(outside, join(peer, 'notes'));
    writeFileSync(join(peer, 'ok.md'), 'fine\n');
    git(['add', '-A'], peer);
    git(['commit', '-q', '-m', 'links'], peer);
    git(['push', '-q', 'origin', 'main'], peer);

    const home = tempDir();
    const cloned = cli(['room', 'clone', remote, 'team'], { home, env });
    expect(cloned.code, cloned.stderr).toBe(0);
    const room = join(home, 'rooms', 'team');
    expect(lstatSync(join(room, 'evil.md')).isSymbolicLink()).toBe(false);
    expect(lstatSync(join(room, 'notes')).isSymbolicLink()).toBe(false);
    expect(cli(['memory', 'set', 'evil', 'mine', '--room', 'team'], { home, env }).code).toBe(0);
    expect(cli(['memory', 'set', 'notes/target', 'mine', '--room', 'team'], { home, env }).code).not.toBe(0);
    expect(readFileSync(join(outside, 'target.md'), 'utf8')).toBe('outside target\n');
  });
});

describe('only regular files are opened', () => {
  it('a FIFO named x.md neither hangs get, set, ls nor the server', async () => {
    const home = homeWithRoom();
    const room = join(home, 'rooms', 'team');
    expect(spawnSync('mkfifo', [join(room, 'x.md')]).status).toBe(0);
    cli(['memory', 'set', 'ok', 'fine'], { home });
    const get = await cliAsync(['memory', 'get', 'x'], { home });
    expect(get.code).toBe(2);
    expect(get.stderr).toMatch(/'x\.md' in the room is not a regular file/);
    expect((await cliAsync(['memory', 'set', 'x', 'v'], { home })).code).toBe(2);
    const ls = await cliAsync(['memory', 'ls', '--json'], { home });
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout).memories.map((m: { key: string }) => m.key)).toEqual(['ok']);
    expect(ls.stderr).toMatch(/x\.md: skipped, it is not a regular file/);
    const server = await startServe(home);
    expect((await fetch(`${server.url}/rooms/team/memory/x`)).status).toBe(400);
    expect((await fetch(`${server.url}/rooms/team/memory/ok`)).status).toBe(200);
  });
});
