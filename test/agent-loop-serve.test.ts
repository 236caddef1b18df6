import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, waitFor } from './daemon-helpers.js';
import { cli, cliAsync, homeWithRoom, startServe, tempDir } from './helpers.js';
import { person, type Person } from './sync-people.js';

/**
 * The whole arc across machines: three agents, each its own home, cloning one room from
 * `mycelium serve` with a token. Claims and the negotiation are made on the server (the authority);
 * messages, cards and the plan travel by `mycelium sync`. Every step's files, digests and exit codes
 * are asserted, and a person's `watch` on the server shows the whole story.
 */
const TOKEN = 's3cret-serve-arc';
const lastLine = (text: string) => JSON.parse(text.trim().split('\n').at(-1) as string);

describe('the coordination arc through mycelium serve', () => {
  it('three homes, one served room: negotiate on the server, plan by sync, claims kept apart by the server, @mentions, digests', async () => {
    const serverHome = homeWithRoom();
    const srv = await startServe(serverHome, ['--token', TOKEN]);
    const url = `${srv.url}/rooms/team`;
    expect(cli(['room', 'clone', url], { home: tempDir(), env: { MYCELIUM_TOKEN: undefined } }).code).toBe(2);

    const env = { MYCELIUM_TOKEN: TOKEN };
    const [ana, bob, cyd] = ['ana', 'bob', 'cyd'].map((h) => person(h, env));
    const as = (p: Person) => (...args: string[]) => p.run(...args, '--room', 'team');
    const sync = (p: Person) => {
      const synced = p.sync();
      expect(synced.code, synced.stderr).toBe(0);
    };
    for (const p of [ana, bob, cyd]) expect(p.run('room', 'clone', url).code).toBe(0);
    const watching = run(['watch', '--room', 'team', '--json'], serverHome);
    await waitFor(() => watching.stderr().includes("watching room 'team'"), 60_000, 'watch to be ready');

    for (const [p, role] of [[ana, 'lead'], [bob, 'backend'], [cyd, 'docs']] as const) {
      expect(as(p)('agent', 'register', '--role', role).code).toBe(0);
      sync(p);
    }
    sync(ana);
    expect(as(ana)('agent', 'ls').stdout).toMatch(/bob\s+backend/);

    // The negotiation runs on the server: its files are in the server's room, not in ana's clone.
    const opened = as(ana)('negotiate', 'open', '--issue', 'api=rest,grpc', '--issue', 'db=postgres,sqlite', '--participants', 'ana,bob,cyd');
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdout).toContain(`on ${url}`);
    expect(readdirSync(join(serverHome, 'rooms', 'team', 'sessions')).length).toBe(1);
    expect(existsSync(join(ana.roomDir, 'sessions'))).toBe(false);
    const noToken = cli(['negotiate', 'status', '--room', 'team', '--handle', 'cyd'], { home: cyd.home, env: { MYCELIUM_TOKEN: undefined } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('--token');

    const prefs: Record<string, [Person, string[]]> = {
      ana: [ana, ['api=rest>grpc', 'db=postgres>sqlite']],
      bob: [bob, ['api=grpc>rest', 'db=postgres>sqlite']],
      cyd: [cyd, ['api=rest>grpc', 'db=sqlite>postgres']],
    };
    for (const [handle, [p, list]] of Object.entries(prefs)) {
      const joined = as(p)('session', 'join', '-m', `${handle} opens`, ...list.flatMap((x) => ['--prefer', x]));
      expect(joined.code, joined.stderr).toBe(0);
    }

    // ana and bob answer with `negotiate auto` from their own homes; cyd answers each tick by hand.
    const autos = [ana, bob].map((p) => cliAsync(['negotiate', 'auto', '--room', 'team', '--handle', p.handle], { home: p.home, env }));
    let consensus: any;
    for (let turn = 0; turn < 40 && !consensus; turn++) {
      const awaited = await cliAsync(['session', 'await', '--timeout', '60', '--room', 'team', '--handle', 'cyd'], { home: cyd.home, env });
      expect(awaited.code, awaited.stderr).toBe(0);
      const event = lastLine(awaited.stdout);
      if (event.type === 'consensus') consensus = event;
      else {
        expect(event).toMatchObject({ type: 'tick', issues: ['api', 'db'] });
        const answered = as(cyd)('negotiate', 'respond', 'accept');
        expect(answered.code, answered.stderr).toBe(0);
      }
    }
    for (const done of await Promise.all(autos)) {
      expect(done.code, done.stderr).toBe(0);
      expect(lastLine(done.stdout)).toMatchObject({ type: 'consensus', broken: false });
    }
    expect(consensus).toMatchObject({ type: 'consensus', broken: false, plan_file: 'plan/tasks.md' });
    expect(consensus.plan.length).toBeGreaterThanOrEqual(2);
    const served = readFileSync(join(serverHome, 'rooms', 'team', 'plan', 'tasks.md'), 'utf8');
    for (const task of consensus.plan) expect(served).toContain(task);

    // The plan reaches every clone by sync; each agent takes a ready task and pushes it back.
    const taken: Record<string, string> = {};
    for (const p of [ana, bob]) {
      sync(p);
      const ready = as(p)('plan', 'ready', '--claim', '--json');
      expect(ready.code, ready.stderr).toBe(0);
      taken[p.handle] = JSON.parse(ready.stdout).task.id;
      sync(p);
    }
    expect(taken.ana).not.toBe(taken.bob);
    sync(cyd);
    const cydTasks = as(cyd)('plan', 'tasks', '--json');
    expect(cydTasks.code).toBe(0);
    const owners = Object.fromEntries(JSON.parse(cydTasks.stdout).map((t: any) => [t.id, t.owner]));
    expect(owners[taken.ana]).toBe('ana');
    expect(owners[taken.bob]).toBe('bob');

    // Claims are made on the server: an overlapping claim from another home is refused, naming ana.
    expect(as(ana)('claim', 'src/api').code).toBe(0);
    const refused = as(bob)('claim', 'src/api/routes.ts');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('@ana');
    expect(as(bob)('claim', 'src/db').code).toBe(0);
    sync(bob);
    expect(as(bob)('digest').stdout).toMatch(/## Your claims\n  - c-\w+ “src\/db”: \d+ min left/);

    // Done: the task closes, the claim is released, and bob hears of it after a sync.
    expect(as(ana)('plan', 'task', 'done', taken.ana).code).toBe(0);
    expect(as(ana)('release', '--all').code).toBe(0);
    expect(as(ana)('room', 'send', `@bob the API (${taken.ana}) is done, src/api is free`).code).toBe(0);
    sync(ana);
    sync(bob);
    const bobs = as(bob)('digest', '--since-cursor').stdout;
    expect(bobs).toContain('## Unread messages for you (1)');
    expect(bobs).toContain('src/api is free');
    expect(as(bob)('digest', '--since-cursor').stdout).toBe('');
    expect(as(bob)('claim', 'src/api/routes.ts').code).toBe(0);

    // The person watching the server saw it all: cards, the session, the plan, the claims, the message.
    await waitFor(() => watching.lines().some((l) => l.type === 'message' && String(l.text).includes('src/api is free')), 60_000, 'the message in watch');
    watching.child.kill('SIGINT');
    expect(await watching.exited).toBe(0);
    const keys = [...new Set(watching.lines().filter((l) => l.type === 'memory').map((l) => String(l.key)))];
    for (const key of ['agents/ana', 'agents/bob', 'agents/cyd', 'plan/tasks']) expect(keys, keys.join(' ')).toContain(key);
    expect(keys.some((k) => k.startsWith('sessions/') && k.endsWith('/consensus'))).toBe(true);
    expect(keys.some((k) => k.startsWith('claims/c-'))).toBe(true);

    // With the server gone, the verbs it is the authority for say so (exit 4).
    await srv.stop();
    const gone = as(cyd)('session', 'join', '-m', 'again');
    expect(gone.code).toBe(4);
    expect(gone.stderr).toMatch(/cannot reach .*negotiations for this room are made on its server/);
  }, 480_000);
});
