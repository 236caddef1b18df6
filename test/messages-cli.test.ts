import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, homeWithRoom } from './helpers.js';

describe('room send and inbox (CLI)', () => {
  it('a mention reaches the inbox once; bad handles exit 2 and write nothing', () => {
    const home = homeWithRoom();
    const sent = cli(['room', 'send', '--room', 'team', '--handle', 'claude-agent', '@julia-agent heads up'], { home });
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('→ julia-agent');
    expect(sent.stderr).toContain("no agent 'julia-agent' is registered");
    const first = cli(['inbox', '--room', 'team', '--handle', 'julia-agent', '--json'], { home });
    expect(JSON.parse(first.stdout).map((m: { text: string }) => m.text)).toEqual(['@julia-agent heads up']);
    const second = cli(['inbox', '--room', 'team', '--handle', 'julia-agent', '--json'], { home });
    expect(JSON.parse(second.stdout)).toEqual([]);
    const bad = cli(['room', 'send', '--room', 'team', '--handle', '../x', 'hi'], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid handle');
    const empty = cli(['room', 'send', '--room', 'team', '--handle', 'a', ''], { home });
    expect(empty.code).toBe(2);
  });
});

describe('room messages (CLI)', () => {
  it('lists oldest first with --from and --limit; a bad --since exits 2', () => {
    const home = homeWithRoom();
    for (const text of ['one', 'two', 'three']) cli(['room', 'send', '--room', 'team', '--handle', 'ana', text], { home });
    const out = cli(['room', 'messages', '--room', 'team', '--from', 'ana', '--limit', '2', '--json'], { home });
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout).map((m: { text: string }) => m.text)).toEqual(['two', 'three']);
    expect(cli(['room', 'messages', '--room', 'team', '--since', 'soon'], { home }).code).toBe(2);
  });
});

describe('message files changed by hand', () => {
  it('an edited message is shown as it is now with a warning naming it; a deleted one is skipped; the file is never rewritten', () => {
    const home = homeWithRoom();
    const sent = JSON.parse(cli(['room', 'send', '--room', 'team', '--handle', 'ana', '--json', '@bob original'], { home }).stdout);
    const gone = JSON.parse(cli(['room', 'send', '--room', 'team', '--handle', 'ana', '--json', '@bob second'], { home }).stdout);
    const path = join(home, 'rooms', 'team', `${sent.key}.md`);
    const edited = readFileSync(path, 'utf8').replace('@bob original', '@bob forged');
    writeFileSync(path, edited);
    rmSync(join(home, 'rooms', 'team', `${gone.key}.md`));
    const inbox = cli(['inbox', '--room', 'team', '--handle', 'bob', '--json'], { home });
    expect(inbox.code).toBe(0);
    expect(JSON.parse(inbox.stdout).map((m: { text: string }) => m.text)).toEqual(['@bob forged']);
    expect(inbox.stderr).toContain(`${sent.key}.md: message edited by hand after it was sent`);
    expect(readFileSync(path, 'utf8')).toBe(edited);
  });
});

describe('inbox --open', () => {
  it('shows unanswered asks to me, my needs with no up, and peers\' blocks not yet cleared; reads no cursor', () => {
    const home = homeWithRoom();
    const send = (from: string, text: string, ...args: string[]) => {
      const r = cli(['room', 'send', '--room', 'team', '--handle', from, '--json', text, ...args], { home });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).id as string;
    };
    const open1 = send('ana', '@bob which port?', '--kind', 'ask');
    const answered = send('ana', '@bob which db?', '--kind', 'ask');
    send('bob', 'postgres', '--re', answered, '--kind', 'reply');
    const needRedis = send('bob', 'redis', '--kind', 'need');
    send('bob', 'staging db', '--kind', 'need');
    send('cy', 'staging db', '--kind', 'up');
    const block = send('cy', 'blocked on the CI runner', '--kind', 'block');
    send('dee', 'blocked on review', '--kind', 'block');
    send('dee', 'review done', '--kind', 'done');
    const out = cli(['inbox', '--room', 'team', '--handle', 'bob', '--open', '--json'], { home });
    expect(out.code, out.stderr).toBe(0);
    const open = JSON.parse(out.stdout);
    expect(open.asks.map((m: { id: string }) => m.id)).toEqual([open1]);
    expect(open.needs.map((m: { id: string }) => m.id)).toEqual([needRedis]);
    expect(open.blocks.map((m: { id: string }) => m.id)).toEqual([block]);
    expect(cli(['inbox', '--room', 'team', '--handle', 'bob', '--open'], { home }).stdout).toContain('open asks to you:');
    // --open moved no cursor: the inbox still has both asks and the reply-free messages to bob
    expect(JSON.parse(cli(['inbox', '--room', 'team', '--handle', 'bob', '--json'], { home }).stdout)).toHaveLength(2);
  });
});
