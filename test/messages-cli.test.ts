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
