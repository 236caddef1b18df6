import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMemoryFile } from '../src/codec.js';
import { Room } from '../src/room.js';
import { homeWithRoom, repoRoot } from './helpers.js';

const writer = join(repoRoot, 'test', 'workers', 'writer.mjs');

function run(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [writer, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => resolve(code ?? -1));
  });
}

describe('many writers at once', () => {
  it('8 processes × 200 different keys end with all 1,600 files intact', async () => {
    const home = homeWithRoom();
    const codes = await Promise.all(Array.from({ length: 8 }, (_, p) => run([home, 'team', 'distinct', `p${p}`, '200'])));
    expect(codes).toEqual(Array(8).fill(0));
    const room = await Room.open(home, 'team');
    const keys = await room.keys();
    expect(keys).toHaveLength(1600);
    for (let p = 0; p < 8; p++) {
      for (const i of [0, 99, 199]) {
        const memory = await room.get(`p${p}/${i}`);
        expect([memory.value, memory.version]).toEqual([`value ${i} from p${p}\n`, 1]);
      }
    }
    for (let p = 0; p < 8; p++) {
      expect(readdirSync(join(room.dir, `p${p}`)).filter((n) => !n.endsWith('.md'))).toEqual([]); // no temp files left
    }
  });

  it('8 processes setting the same key end with one intact file whose version counts every write', async () => {
    const home = homeWithRoom();
    const codes = await Promise.all(Array.from({ length: 8 }, () => run([home, 'team', 'same', 'hot/key', '50'])));
    expect(codes).toEqual(Array(8).fill(0));
    const room = await Room.open(home, 'team');
    const memory = await room.get('hot/key');
    expect(memory.version).toBe(400);
    expect(memory.value).toMatch(/^write 49 by writer-\d+$/);
    expect(memory.warnings).toEqual([]);
    expect(readdirSync(join(room.dir, 'hot'))).toEqual(['key.md']);
  });

  it('a writer killed with SIGKILL mid-write never leaves a torn or empty file', async () => {
    const home = homeWithRoom();
    const size = 256 * 1024;
    const path = join(home, 'rooms', 'team', 'big.md');
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, [writer, home, 'team', 'forever', 'big', String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve) => child.stdout.once('data', resolve));
      await new Promise((resolve) => setTimeout(resolve, 50 + round * 37));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('close', resolve));
      const parsed = parseMemoryFile(readFileSync(path, 'utf8'));
      expect(parsed.hasFrontmatter).toBe(true);
      expect(parsed.body.length).toBe(size);
      expect(parsed.body === 'a'.repeat(size) || parsed.body === 'b'.repeat(size)).toBe(true);
    }
    // A lock left by a killed writer is taken over: the next write succeeds.
    const room = await Room.open(home, 'team');
    const change = await room.set('big', 'after the crash', { handle: 'test' });
    expect(change.version).toBeGreaterThan(1);
  });
});
