import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom, tempDir } from './helpers.js';

const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x', MYCELIUM_OFFLINE: '1' };

describe('a git sync conflict on a memory that is not UTF-8', () => {
  it('keeps both versions byte for byte: the remote one at the key, the local one in the sibling, on every copy', () => {
    const bare = join(tempDir(), 'remote.git');
    execFileSync('git', ['init', '--bare', '-q', bare]);
    const ana = homeWithRoom();
    const anaDir = join(ana, 'rooms', 'team');
    writeFileSync(join(anaDir, 'x.md'), Buffer.from('base \xe9t\xe9\n', 'latin1'));
    expect(cli(['room', 'remote', 'team', bare], { home: ana, env }).code).toBe(0);
    expect(cli(['sync'], { home: ana, env }).code).toBe(0);
    const bo = tempDir();
    expect(cli(['room', 'clone', bare, 'team'], { home: bo, env }).code).toBe(0);
    const boDir = join(bo, 'rooms', 'team');
    const anas = Buffer.from('ana \xe9\xff\n', 'latin1');
    const bos = Buffer.from('bo \xfe\xe8\n', 'latin1');
    writeFileSync(join(anaDir, 'x.md'), anas);
    writeFileSync(join(boDir, 'x.md'), bos);
    expect(cli(['sync'], { home: ana, env }).code).toBe(0);
    const conflict = cli(['sync', '--json'], { home: bo, env });
    expect(conflict.code, conflict.stderr).toBe(3);
    const sibling = JSON.parse(conflict.stdout).conflicts[0].conflict_key as string;
    expect(cli(['sync'], { home: ana, env }).code).toBe(0);
    for (const dir of [anaDir, boDir]) {
      expect(readFileSync(join(dir, 'x.md'))).toEqual(anas);
      expect(readFileSync(join(dir, `${sibling}.md`))).toEqual(bos);
      expect(readdirSync(dir).filter((name) => name.endsWith('.md')).sort()).toEqual([`${sibling}.md`, 'x.md'].sort());
    }
  }, 60_000);
});
