import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliAsync, cliPath, homeWithRoom, tempDir, isolatedEnv } from './helpers.js';

const R = ['--room', 'team'];
const as = (handle: string) => [...R, '--handle', handle];
const lastLine = (text: string) => JSON.parse(text.trim().split('\n').at(-1) as string);

/** The tick or consensus a negotiation message carries: the last line of its text. */
const eventOf = (message: { text: string }) => lastLine(message.text);

function openTwo(home: string): void {
  const open = cli(['negotiate', 'open', ...as('lead'), '--issue', 'api=rest,graphql', '--issue', 'db=postgres,sqlite', '--participants', 'ana,bob'], { home });
  expect(open.code, open.stderr).toBe(0);
  expect(cli(['session', 'join', ...as('ana'), '-m', 'REST', '--prefer', 'api=rest>graphql', '--prefer', 'db=postgres>sqlite'], { home }).code).toBe(0);
  const bob = cli(['session', 'join', ...as('bob'), '-m', 'GraphQL', '--prefer', 'api=graphql>rest', '--prefer', 'db=postgres>sqlite'], { home });
  expect(bob.code, bob.stderr).toBe(0);
}

function mediatorMessages(home: string): { id: string; to: string[]; text: string; ref: string }[] {
  const listed = cli(['room', 'messages', ...R, '--from', 'mediator', '--json'], { home });
  expect(listed.code, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout);
}

async function waitFor(what: () => boolean, label: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (what()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${label}`);
}

describe('negotiation ticks as messages: `mycelium await`, inbox and the resident loop see them', () => {
  it('an agent driven by `mycelium await` alone gets each tick and the consensus as messages', async () => {
    const home = homeWithRoom();
    openTwo(home);
    const bob = cliAsync(['negotiate', 'auto', ...as('bob')], { home });
    let consensus: Record<string, unknown> | undefined;
    const rounds: number[] = [];
    for (let i = 0; i < 40 && !consensus; i++) {
      const got = await cliAsync(['await', ...as('ana'), '--timeout', '60'], { home });
      expect(got.code, got.stderr).toBe(0);
      const message = lastLine(got.stdout);
      expect(message).toMatchObject({ type: 'message', from: 'mediator', to: expect.arrayContaining(['ana']), ref: expect.stringMatching(/^sessions\/[^/]+\/session$/) });
      const event = eventOf(message);
      if (event.type === 'consensus') consensus = event;
      else {
        expect(event).toMatchObject({ type: 'tick', issues: ['api', 'db'], proposer_id: expect.any(String) });
        rounds.push(event.round);
        // The message names the round session.md is at, so the reply counts (exit 0, not a conflict).
        const reply = cli(['negotiate', 'respond', ...as('ana'), 'accept'], { home });
        expect(reply.code, reply.stderr).toBe(0);
        expect(reply.stdout).toContain(`accept in round ${event.round}`);
      }
    }
    expect(rounds[0]).toBe(1);
    expect(consensus).toMatchObject({ type: 'consensus', broken: false, plan_file: 'plan/tasks.md' });
    const bobRun = await bob;
    expect(bobRun.code, bobRun.stderr).toBe(0);
    expect(lastLine(bobRun.stdout)).toMatchObject({ type: 'consensus', broken: false, plan: (consensus as { plan: string[] }).plan });
    // One tick per participant per round (none twice), then one consensus message to both.
    const all = mediatorMessages(home);
    const seen = all.filter((m) => eventOf(m).type === 'tick').map((m) => `${m.to.join()}@${eventOf(m).round}`);
    expect(new Set(seen).size).toBe(seen.length);
    expect(all.at(-1)?.to.sort()).toEqual(['ana', 'bob']);
    expect(all.at(-1)?.text).toMatch(/^Negotiation \S+ agreed: api=\w+, db=postgres; 2 task\(s\) in plan\/tasks\.md\./);
    // bob read the files through `session await` (auto): its session messages were marked read there.
    const inbox = cli(['inbox', ...as('bob'), '--peek', '--json'], { home });
    expect(inbox.code, inbox.stderr).toBe(0);
    expect(JSON.parse(inbox.stdout)).toEqual([]);
  });

  it('`mycelium await --loop --exec` answers the ticks until the session ends', async () => {
    const home = homeWithRoom();
    const dir = tempDir();
    const script = join(dir, 'answer.mjs');
    writeFileSync(
      script,
      [
        "import { spawnSync } from 'node:child_process';",
        "import { readFileSync, appendFileSync } from 'node:fs';",
        "const message = JSON.parse(readFileSync(0, 'utf8'));",
        "const event = JSON.parse(message.text.trim().split('\\n').at(-1));",
        `appendFileSync(${JSON.stringify(join(dir, 'seen.log'))}, event.type + ' ' + (event.round ?? '') + '\\n');`,
        'if (event.type !== "tick") process.exit(0);',
        `const r = spawnSync(process.execPath, [${JSON.stringify(cliPath)}, 'negotiate', 'respond', '--room', 'team', '--handle', 'ana', 'accept'], { stdio: 'inherit' });`,
        'process.exit(r.status ?? 1);',
      ].join('\n'),
    );
    openTwo(home);
    const loop = spawn(process.execPath, [cliPath, 'await', ...as('ana'), '--loop', '--exec', `node ${script}`], { env: isolatedEnv(home), stdio: 'ignore' });
    const bob = await cliAsync(['negotiate', 'auto', ...as('bob')], { home });
    expect(bob.code, bob.stderr).toBe(0);
    expect(lastLine(bob.stdout)).toMatchObject({ type: 'consensus', broken: false });
    await waitFor(() => {
      try {
        return readFileSync(join(dir, 'seen.log'), 'utf8').includes('consensus');
      } catch {
        return false;
      }
    }, 'the loop to see the consensus');
    loop.kill('SIGTERM');
    await new Promise((r) => loop.once('exit', r));
    const seen = readFileSync(join(dir, 'seen.log'), 'utf8').trim().split('\n');
    expect(seen[0]).toBe('tick 1');
    expect(seen.at(-1)?.trim()).toBe('consensus');
  });

  it('killed between session.md and its messages: the next look sends them (at least once), later looks send nothing more', async () => {
    const home = homeWithRoom();
    openTwo(home);
    const first = mediatorMessages(home);
    expect(first.map((m) => [m.to[0], eventOf(m).type, eventOf(m).round])).toEqual([
      ['ana', 'tick', 1],
      ['bob', 'tick', 1],
    ]);
    // What a process killed right after writing session.md leaves: no messages for the round, no marker.
    const sessions = join(home, 'rooms', 'team', 'sessions');
    const id = readdirSync(sessions)[0];
    rmSync(join(home, 'cursors', 'team', 'sessions', id, '.announced.json'));
    const days = join(home, 'rooms', 'team', 'messages');
    for (const day of readdirSync(days)) for (const name of readdirSync(join(days, day))) if (name.includes('-mediator-')) rmSync(join(days, day, name));
    // ana is waiting on her message stream; bob's next look (a `session await`) sends the ticks again.
    const waiting = cliAsync(['await', ...as('ana'), '--timeout', '60'], { home });
    const bobLook = cli(['session', 'await', ...as('bob'), '--timeout', '10'], { home });
    expect(bobLook.code, bobLook.stderr).toBe(0);
    expect(lastLine(bobLook.stdout)).toMatchObject({ type: 'tick', round: 1 });
    const got = await waiting;
    expect(got.code, got.stderr).toBe(0);
    expect(eventOf(lastLine(got.stdout))).toMatchObject({ type: 'tick', round: 1, can_counter_offer: true });
    for (let i = 0; i < 3; i++) expect(cli(['session', 'await', ...as('bob'), '--timeout', '0.2'], { home }).code).toBe(0);
    expect(mediatorMessages(home)).toHaveLength(2);
  });
});
