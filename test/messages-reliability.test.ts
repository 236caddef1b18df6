import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, waitFor } from './daemon-helpers.js';
import { cli, cliAsync, homeWithRoom, repoRoot, startServe, tempDir } from './helpers.js';
import { person } from './sync-people.js';

const sender = join(repoRoot, 'test', 'workers', 'sender.mjs');
const recipients = ['r0', 'r1', 'r2', 'r3', 'r4'];

function sendFrom(home: string, from: string, count: number): Promise<number | null> {
  const child = spawn(process.execPath, [sender, home, 'team', from, String(count), recipients.join(',')], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', resolve));
}

function messageFiles(roomDir: string): string[] {
  const root = join(roomDir, 'messages');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((day) => readdirSync(join(root, day)).filter((n) => n.endsWith('.md')).map((n) => `${day}/${n}`));
}

const inboxCount = (home: string, handle: string) => {
  const out = cli(['inbox', '--room', 'team', '--handle', handle, '--json'], { home });
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout).length as number;
};

describe('messages with several real processes', () => {
  it('8 processes sending 100 messages each at once: 800 files, none lost, every inbox count exact', async () => {
    const home = homeWithRoom();
    const codes = await Promise.all(Array.from({ length: 8 }, (_, s) => sendFrom(home, `s${s}`, 100)));
    expect(codes).toEqual(Array(8).fill(0));
    const files = messageFiles(join(home, 'rooms', 'team'));
    expect(files).toHaveLength(800);
    expect(readdirSync(join(home, 'rooms', 'team', 'messages')).flatMap((d) => readdirSync(join(home, 'rooms', 'team', 'messages', d))).filter((n) => n.startsWith('.'))).toEqual([]);
    // message i of each sender mentions r(i % 5): 20 per sender per recipient
    for (const r of recipients) expect(inboxCount(home, r)).toBe(160);
    for (const r of recipients) expect(inboxCount(home, r)).toBe(0);
    const listed = JSON.parse(cli(['room', 'messages', '--room', 'team', '--json'], { home }).stdout);
    expect(listed).toHaveLength(800);
    expect(new Set(listed.map((m: { id: string }) => m.id)).size).toBe(800);
  }, 180_000);

  it('a resident loop killed with kill -9 and restarted handles every message exactly once', async () => {
    const home = homeWithRoom();
    const out = join(tempDir(), 'handled.txt');
    const cmd = `node -e "require('fs').appendFileSync(process.argv[1], process.env.MYCELIUM_EVENT_ID + '\\n')" ${out}`;
    const cursor = join(home, 'cursors', 'team', 'bob.json');
    const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean) : []);
    const loop = run(['await', '--room', 'team', '--handle', 'bob', '--loop', '--exec', cmd], home);
    const sent: string[] = [];
    const send = (text: string) => {
      const r = cli(['room', 'send', '--room', 'team', '--handle', 'ana', '--json', text], { home });
      sent.push(JSON.parse(r.stdout).id);
    };
    for (let i = 0; i < 5; i++) send(`@bob first ${i}`);
    await waitFor(() => lines().length === 5 && existsSync(cursor) && readFileSync(cursor, 'utf8').includes(sent[4]), 60_000, 'five handled');
    loop.child.kill('SIGKILL');
    await loop.exited;
    for (let i = 0; i < 5; i++) send(`@bob while down ${i}`);
    const again = await cliAsync(['await', '--room', 'team', '--handle', 'bob', '--loop', '--exec', cmd, '--timeout', '3'], { home });
    expect(again.code, again.stderr).toBe(1);
    expect(lines()).toEqual(sent);
  }, 120_000);
});

const noIdentity = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

describe('messages across homes', () => {
  it('two homes sharing a room through git: messages from both sides arrive on both, no conflict copies', () => {
    const remote = join(tempDir(), 'team.git');
    spawnSync('git', ['init', '-q', '--bare', '-b', 'main', remote], { env: { ...process.env, ...noIdentity } });
    const ana = person('ana', noIdentity);
    const bo = person('bo', noIdentity);
    expect(ana.run('room', 'create', 'team').code).toBe(0);
    expect(ana.run('room', 'send', '--room', 'team', '@bo first from ana').code).toBe(0);
    expect(ana.run('room', 'remote', 'team', remote).code).toBe(0);
    expect(ana.sync().code).toBe(0);
    expect(bo.run('room', 'clone', remote).code).toBe(0);
    for (let i = 0; i < 3; i++) {
      expect(ana.run('room', 'send', '--room', 'team', `@bo ana ${i}`).code).toBe(0);
      expect(bo.run('room', 'send', '--room', 'team', `@ana bo ${i}`).code).toBe(0);
    }
    expect(ana.sync().code).toBe(0);
    const bs = bo.sync();
    expect(bs.code, bs.stderr).toBe(0);
    expect(ana.sync().code).toBe(0);
    for (const p of [ana, bo]) {
      const files = messageFiles(p.roomDir);
      expect(files).toHaveLength(7);
      expect(files.filter((f) => f.includes('conflict'))).toEqual([]);
    }
    expect(JSON.parse(bo.run('inbox', '--room', 'team', '--json').stdout)).toHaveLength(4);
    expect(JSON.parse(ana.run('inbox', '--room', 'team', '--json').stdout)).toHaveLength(3);
  }, 120_000);

  it('two homes sharing a room through mycelium serve: messages from both sides arrive on both, no conflict copies', async () => {
    const TOKEN = 'team-token-1234';
    const server = homeWithRoom('team');
    const { url } = await startServe(server, ['--token', TOKEN], { MYCELIUM_OFFLINE: '1' });
    const env = { MYCELIUM_TOKEN: TOKEN };
    const ana = person('ana', env);
    const bo = person('bo', env);
    expect(ana.run('room', 'clone', `${url}/rooms/team`).code).toBe(0);
    expect(bo.run('room', 'clone', `${url}/rooms/team`).code).toBe(0);
    for (let i = 0; i < 3; i++) {
      expect(ana.run('room', 'send', '--room', 'team', `@bo ana ${i}`).code).toBe(0);
      expect(bo.run('room', 'send', '--room', 'team', `@ana bo ${i}`).code).toBe(0);
    }
    for (const p of [ana, bo, ana]) {
      const synced = p.sync();
      expect(synced.code, synced.stderr).toBe(0);
    }
    for (const dir of [ana.roomDir, bo.roomDir, join(server, 'rooms', 'team')]) {
      const files = messageFiles(dir);
      expect(files).toHaveLength(6);
      expect(files.filter((f) => f.includes('conflict'))).toEqual([]);
    }
    expect(JSON.parse(bo.run('inbox', '--room', 'team', '--json').stdout)).toHaveLength(3);
    expect(JSON.parse(ana.run('inbox', '--room', 'team', '--json').stdout)).toHaveLength(3);
  }, 120_000);
});
