import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, cliPath, homeWithRoom, isolatedEnv } from './helpers.js';

const R = ['--room', 'team'];
const as = (handle: string) => [...R, '--handle', handle];
const lastLine = (text: string) => JSON.parse(text.trim().split('\n').at(-1) as string);

function sessionDir(home: string): string {
  const root = join(home, 'rooms', 'team', 'sessions');
  const ids = readdirSync(root).sort();
  return join(root, ids[ids.length - 1]);
}

/** Three agents with opposed rankings over three issues. */
function joinThree(home: string): void {
  const open = cli(['negotiate', 'open', ...as('lead'), '--issue', 'api=rest,graphql,grpc', '--issue', 'db=postgres,sqlite,mysql', '--issue', 'owner=ana,bob,cyd', '--participants', 'ana,bob,cyd'], { home });
  expect(open.code, open.stderr).toBe(0);
  const prefs: Record<string, string[]> = {
    ana: ['api=rest>graphql>grpc', 'db=postgres>sqlite>mysql', 'owner=ana>bob>cyd'],
    bob: ['api=graphql>rest>grpc', 'db=postgres>mysql>sqlite', 'owner=bob>cyd>ana'],
    cyd: ['api=grpc>rest>graphql', 'db=sqlite>postgres>mysql', 'owner=cyd>ana>bob'],
  };
  for (const [handle, list] of Object.entries(prefs)) {
    const joined = cli(['session', 'join', ...as(handle), '-m', `${handle} opens`, ...list.flatMap((p) => ['--prefer', p])], { home });
    expect(joined.code, joined.stderr).toBe(0);
  }
}

describe('negotiation over the CLI: real agent processes', () => {
  it('three `negotiate auto` processes reach the same consensus; it is compiled to tasks before it is announced', async () => {
    const home = homeWithRoom();
    joinThree(home);
    const runs = await Promise.all(['ana', 'bob', 'cyd'].map((h) => cliAsync(['negotiate', 'auto', ...as(h), '--strategy', 'boulware'], { home })));
    const lines = runs.map((r) => {
      expect(r.code, r.stderr).toBe(0);
      return lastLine(r.stdout);
    });
    for (const line of lines) expect(line).toMatchObject({ type: 'consensus', broken: false });
    expect(new Set(lines.map((l) => JSON.stringify(l.plan))).size).toBe(1);
    expect(lines[0].plan).toHaveLength(3);
    const plan = readFileSync(join(home, 'rooms', 'team', lines[0].plan_file), 'utf8');
    for (const task of lines[0].plan) expect(plan).toContain(`- [ ] ${task}`);
    const again = cli(['session', 'await', ...as('ana')], { home });
    expect(again.code).toBe(0);
    expect(lastLine(again.stdout)).toMatchObject({ type: 'consensus', replayed: true, plan: lines[0].plan });
    const status = JSON.parse(cli(['negotiate', 'status', ...as('ana'), '--json'], { home }).stdout);
    expect(status).toMatchObject({ state: 'concluded', broken: false, participants: ['ana', 'bob', 'cyd'] });
    // Every reply is a file of its own, one writer each.
    const dir = sessionDir(home);
    expect(readdirSync(join(dir, 'rounds', '1')).sort()).toEqual(['ana.md', 'bob.md', 'cyd.md']);
    expect(existsSync(join(dir, 'consensus.md'))).toBe(true);
  });

  it('kill -9 of a participant mid-negotiation, then a restart: it continues and concludes', async () => {
    const home = homeWithRoom();
    joinThree(home);
    const others = ['ana', 'bob'].map((h) => cliAsync(['negotiate', 'auto', ...as(h)], { home }));
    const victim = spawn(process.execPath, [cliPath, 'negotiate', 'auto', ...as('cyd')], { env: isolatedEnv(home), stdio: 'ignore' });
    // Wait until round 3 is under way, then kill cyd's process without warning.
    for (let i = 0; i < 600; i++) {
      const status = cli(['negotiate', 'status', ...as('ana'), '--json'], { home });
      if (status.code === 0 && JSON.parse(status.stdout).round >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    const roundAtKill = JSON.parse(cli(['negotiate', 'status', ...as('ana'), '--json'], { home }).stdout).round;
    expect(roundAtKill).toBeGreaterThanOrEqual(3);
    const restarted = await cliAsync(['negotiate', 'auto', ...as('cyd')], { home });
    const [a, b] = await Promise.all(others);
    for (const run of [a, b, restarted]) {
      expect(run.code, run.stderr).toBe(0);
      expect(lastLine(run.stdout)).toMatchObject({ type: 'consensus', broken: false });
    }
    expect(lastLine(a.stdout).plan).toEqual(lastLine(restarted.stdout).plan);
  });

  it('bad input: invented keys, values outside the options, no session, a lone agent, a corrupt session.md', () => {
    const home = homeWithRoom();
    const noSession = cli(['negotiate', 'respond', ...as('ana'), 'accept'], { home });
    expect(noSession.code).toBe(1);
    expect(lastLine(noSession.stdout)).toMatchObject({ type: 'error', error: 'no_session' });
    expect(noSession.stderr).toMatch(/session join/);
    expect(cli(['negotiate', 'open', ...as('ana'), '--issue', 'api=rest', '--participants', 'ana,bob'], { home }).code).toBe(2);
    expect(cli(['negotiate', 'open', ...as('ana'), '--issue', 'api=rest,graphql', '--participants', 'ana,bob'], { home }).code).toBe(0);
    const invented = cli(['session', 'join', ...as('ana'), '--prefer', 'cache=redis>none'], { home });
    expect(invented.code).toBe(2);
    expect(lastLine(invented.stdout)).toEqual({ type: 'error', error: 'invalid_key', instruction: expect.stringMatching(/not an issue/), valid_keys: ['api'] });
    expect(cli(['session', 'join', ...as('ana'), '--prefer', 'API=REST>graphql'], { home }).code).toBe(0);
    expect(cli(['session', 'join', ...as('bob'), '--prefer', 'api=graphql>rest'], { home }).code).toBe(0);
    const outside = cli(['negotiate', 'propose', ...as('ana'), 'api=soap'], { home });
    expect(outside.code).toBe(2);
    expect(lastLine(outside.stdout)).toMatchObject({ error: 'invalid_value', valid_keys: ['rest', 'graphql'] });
    const outOfTurn = cli(['negotiate', 'propose', ...as('bob'), 'api=graphql'], { home });
    expect(lastLine(outOfTurn.stdout)).toMatchObject({ error: 'not_your_turn' });
    expect(cli(['negotiate', 'respond', ...as('bob'), 'maybe'], { home }).code).toBe(2);
    // A hand-edited session.md: refused, naming the file, exit 4.
    const file = join(sessionDir(home), 'session.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"round": 1', '"round": "one"'));
    const corrupt = cli(['session', 'await', ...as('ana'), '--timeout', '1'], { home });
    expect(corrupt.code).toBe(4);
    expect(corrupt.stderr).toContain(`${file} is not a valid negotiation file`);
    expect(lastLine(corrupt.stdout)).toMatchObject({ type: 'error', error: 'session_corrupt' });
  });

  it('a lone agent is told it needs two; await times out with exit 1', () => {
    const home = homeWithRoom();
    expect(cli(['negotiate', 'open', ...as('ana'), '--join-window', '1s'], { home }).code).toBe(0);
    expect(cli(['session', 'join', ...as('ana'), '--prefer', 'api=rest>graphql'], { home }).code).toBe(0);
    const early = cli(['session', 'await', ...as('ana'), '--timeout', '0.2'], { home });
    const lone = early.code === 1 ? cli(['session', 'await', ...as('ana'), '--timeout', '5'], { home }) : early;
    if (early.code === 1) expect(lastLine(early.stdout)).toEqual({ type: 'timeout', seconds: 0.2 });
    expect(lone.code).toBe(2);
    expect(lastLine(lone.stdout)).toMatchObject({ type: 'error', error: 'needs_two_participants' });
  });
});
