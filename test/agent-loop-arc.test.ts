import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, waitFor } from './daemon-helpers.js';
import { cli, cliAsync, homeWithRoom } from './helpers.js';

/**
 * The whole arc, end to end: three agents, each its own processes and handle, in one room, no LLM.
 * They register, negotiate (two with `negotiate auto`, one by explicit `respond`), the consensus is
 * compiled into plan/tasks.md, each takes a ready task and claims files (an overlapping claim is
 * refused, naming the holder), says when it is done, and every digest reflects each step.
 */
const lastLine = (text: string) => JSON.parse(text.trim().split('\n').at(-1) as string);

describe('the coordination arc, three agents', () => {
  it('register -> negotiate -> plan -> ready --claim -> claims -> @mentions, with digests at each step', async () => {
    const home = homeWithRoom();
    const as = (handle: string) => (...args: string[]) => cli([...args, '--room', 'team', '--handle', handle], { home });
    const ana = as('ana');
    const bob = as('bob');
    const cyd = as('cyd');
    // A person watches the whole story from another terminal.
    const watching = run(['watch', '--room', 'team', '--json'], home);
    await waitFor(() => watching.stderr().includes("watching room 'team'"), 60_000, 'watch to be ready');
    for (const [run, role] of [[ana, 'lead'], [bob, 'backend'], [cyd, 'docs']] as const) expect(run('agent', 'register', '--role', role).code).toBe(0);

    expect(ana('negotiate', 'open', '--issue', 'api=rest,grpc', '--issue', 'db=postgres,sqlite', '--participants', 'ana,bob,cyd').code).toBe(0);
    expect(cyd('digest').stdout).toContain('is gathering participants (opened by @ana)');
    const prefs: Record<string, string[]> = { ana: ['api=rest>grpc', 'db=postgres>sqlite'], bob: ['api=grpc>rest', 'db=postgres>sqlite'], cyd: ['api=rest>grpc', 'db=sqlite>postgres'] };
    for (const [handle, list] of Object.entries(prefs)) {
      const joined = as(handle)('session', 'join', '-m', `${handle} opens`, ...list.flatMap((p) => ['--prefer', p]));
      expect(joined.code, joined.stderr).toBe(0);
    }

    // ana and bob answer with `negotiate auto`; cyd reads each tick and answers by hand.
    const autos = ['ana', 'bob'].map((h) => cliAsync(['negotiate', 'auto', '--room', 'team', '--handle', h], { home }));
    let consensus: any;
    let sawTickInDigest = false;
    for (let turn = 0; turn < 40 && !consensus; turn++) {
      const awaited = await cliAsync(['session', 'await', '--timeout', '60', '--room', 'team', '--handle', 'cyd'], { home });
      expect(awaited.code, awaited.stderr).toBe(0);
      const event = lastLine(awaited.stdout);
      if (event.type === 'consensus') consensus = event;
      else {
        expect(event.type).toBe('tick');
        if (!sawTickInDigest) {
          expect(cyd('digest').stdout).toMatch(new RegExp(`round ${event.round} of \\d+: the standing offer is .*\`mycelium negotiate respond accept\\|reject\``));
          sawTickInDigest = true;
        }
        expect(cyd('negotiate', 'respond', 'accept').code).toBe(0);
      }
    }
    for (const run of await Promise.all(autos)) {
      expect(run.code, run.stderr).toBe(0);
      expect(lastLine(run.stdout)).toMatchObject({ type: 'consensus', broken: false });
    }
    expect(consensus).toMatchObject({ type: 'consensus', broken: false });
    expect(sawTickInDigest).toBe(true);
    const planFile = readFileSync(join(home, 'rooms', 'team', consensus.plan_file), 'utf8');
    for (const task of consensus.plan) expect(planFile).toContain(task);
    expect(consensus.plan.length).toBeGreaterThanOrEqual(2);

    // Each takes a ready task: no task is taken twice.
    const taken: Record<string, string> = {};
    for (const [handle, run] of [['ana', ana], ['bob', bob]] as const) {
      const ready = run('plan', 'ready', '--claim', '--json');
      expect(ready.code, ready.stderr).toBe(0);
      const task = JSON.parse(ready.stdout).task;
      expect(task.owner).toBe(handle);
      taken[handle] = task.id;
    }
    expect(taken.ana).not.toBe(taken.bob);
    expect(ana('digest').stdout).toContain(`## Your open tasks\n  - ${taken.ana} `);

    // Claims before editing: an overlapping claim is refused and names the holder.
    expect(ana('claim', 'src/api').code).toBe(0);
    const refused = bob('claim', 'src/api/routes.ts');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('ana');
    expect(bob('claim', 'src/db').code).toBe(0);
    expect(bob('digest').stdout).toMatch(/## Your claims\n  - c-\w+ “src\/db”: \d+ min left/);

    // Done: the task is closed and bob is told.
    expect(ana('plan', 'task', 'done', taken.ana).code).toBe(0);
    expect(ana('release', '--all').code).toBe(0);
    expect(ana('room', 'send', `@bob the API (${taken.ana}) is done, src/api is free`).code).toBe(0);
    const bobs = bob('digest', '--since-cursor').stdout;
    expect(bobs).toContain('## Unread messages for you (1)');
    expect(bobs).toContain('the API');
    const anas = ana('digest').stdout;
    expect(anas).not.toContain(`${taken.ana} `);
    expect(anas).not.toContain('## Your claims');
    const story = cli(['room', 'messages', '--room', 'team', '--json'], { home });
    expect(story.code).toBe(0);
    expect(story.stdout).toContain('src/api is free');

    // watch showed the whole story: cards, the session, the plan, claims, and the message.
    await waitFor(() => watching.lines().some((l) => l.type === 'message' && String(l.text).includes('src/api is free')), 60_000, 'the last message in watch');
    watching.child.kill('SIGINT');
    expect(await watching.exited).toBe(0);
    const keys = new Set(watching.lines().filter((l) => l.type === 'memory').map((l) => String(l.key)));
    for (const key of ['agents/ana', 'agents/bob', 'agents/cyd', 'plan/tasks']) expect(keys, [...keys].join(' ')).toContain(key);
    expect([...keys].some((k) => k.startsWith('sessions/') && k.endsWith('/consensus'))).toBe(true);
    expect([...keys].some((k) => k.startsWith('claims/c-'))).toBe(true);
    // The negotiation's ticks are messages from the mediator; ana's @mention is the one person's message.
    expect(watching.lines().some((l) => l.type === 'message' && l.from === 'mediator')).toBe(true);
    const message = watching.lines().find((l) => l.type === 'message' && l.from !== 'mediator');
    expect(message).toMatchObject({ from: 'ana', mentions: ['bob'] });
  }, 240_000);
});
