/**
 * Negotiation benchmark (issue 14).
 *
 * 1. Outcome quality: 1,000 random instances (3 agents, 3 issues, 3-4 options each, random rankings
 *    and weights), every agent playing `negotiate auto --strategy boulware`. The agents' decisions
 *    and the mediator are the same functions the CLI runs (decide, step), driven in memory so a
 *    thousand instances take seconds rather than 3,000 processes. Prints the share that reach
 *    consensus among the instances that admit an acceptable outcome, and the median (and 10th
 *    percentile) ratio of the outcome's Nash product to the grid's optimum; the baseline is a
 *    uniformly random acceptable outcome, measured on the same instances.
 * 2. Speed: mediator work per round (one `advance` that applies a step: lock, read the files, step,
 *    write), timed in this process over a real room, next to a bare `room.get` of session.md.
 * 3. Three `negotiate auto` processes over 20 rounds (hard limits that cannot all hold, so every
 *    round is played): wall time from spawn to the last exit, next to three `mycelium --version`
 *    processes started the same way (the process start cost).
 * usage: npm run bench:negotiation [-- --instances N --runs N]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Issue, Position } from '../src/coord/negotiation/format.js';
import { decide } from '../src/coord/negotiation/auto.js';
import { planTasksPort } from '../src/coord/negotiation/plan-tasks.js';
import { parseJoin, parseOpen } from '../src/coord/negotiation/schema.js';
import { simulate } from '../src/coord/negotiation/simulate.js';
import { advance, joinSession, loadSession, openNegotiation, replyToRound } from '../src/coord/negotiation/store.js';
import { candidates, sameOffer, scorerFor } from '../src/coord/negotiation/utility.js';
import { createRoom } from '../src/rooms.js';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const instances = arg('--instances', 1000);
const runs = arg('--runs', 3);
const cli = resolve(import.meta.dirname, '..', '..', 'bin', 'mycelium.js');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))];

// A seeded generator: the same instances every run.
let seed = 20261203;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const shuffle = <T>(list: T[]) => {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
};

function quality(): void {
  let admits = 0;
  let agreed = 0;
  const ratios: number[] = [];
  const baseline: number[] = [];
  const rounds: number[] = [];
  for (let n = 0; n < instances; n++) {
    const issues: Issue[] = ['api', 'db', 'owner'].map((key) => ({ key, options: Array.from({ length: 3 + Math.floor(random() * 2) }, (_, i) => `${key}${i}`) }));
    const positions: Position[] = ['a', 'b', 'c'].map((handle) => ({
      handle,
      message: '',
      prefer: Object.fromEntries(issues.map((i) => [i.key, shuffle(i.options)])),
      weight: Object.fromEntries(issues.map((i) => [i.key, 0.1 + Math.round(random() * 90) / 10])),
      limits: {},
      joined_at: '2026-01-01T00:00:00.000Z',
    }));
    const list = candidates(issues, positions.map((p) => scorerFor(p, issues)));
    const best = list.acceptable[0]?.nash ?? 0;
    if (list.acceptable.length === 0 || best <= 0) continue;
    admits++;
    baseline.push(list.acceptable[Math.floor(random() * list.acceptable.length)].nash / best);
    const result = simulate(issues, positions, 'boulware', 20);
    if (result.broken || !result.outcome) continue;
    agreed++;
    rounds.push(result.rounds);
    ratios.push((list.all.find((c) => sameOffer(c.offer, result.outcome!))?.nash ?? 0) / best);
  }
  console.log(`quality: ${instances} instances, ${admits} admit an acceptable outcome`);
  console.log(`  consensus: ${((100 * agreed) / admits).toFixed(1)}% (goal >= 90%), median round ${median(rounds)}`);
  console.log(`  Nash ratio: median ${median(ratios).toFixed(3)} (goal >= 0.95), p10 ${quantile(ratios, 0.1).toFixed(3)}; baseline random acceptable outcome: median ${median(baseline).toFixed(3)}`);
}

/** Three agents whose hard limits cannot all hold: every one of the 20 rounds is played. */
const CONFLICT = {
  issues: ['api=rest,graphql,grpc', 'db=postgres,sqlite,mysql', 'owner=ana,bob,cyd'],
  prefs: {
    ana: ['--prefer', 'api=rest>graphql>grpc', '--prefer', 'db=postgres>sqlite>mysql', '--limit', 'db!=mysql', '--limit', 'db!=sqlite'],
    bob: ['--prefer', 'api=graphql>rest>grpc', '--prefer', 'db=mysql>sqlite>postgres', '--limit', 'db!=postgres'],
    cyd: ['--prefer', 'api=grpc>rest>graphql', '--prefer', 'db=sqlite>postgres>mysql', '--prefer', 'owner=cyd>ana>bob'],
  } as Record<string, string[]>,
};

async function mediatorWork(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'mycelium-bench-'));
  try {
    const { room } = await createRoom(home, 'bench');
    const deps = { plan: planTasksPort };
    await openNegotiation(room, 'lead', parseOpen({ issue: CONFLICT.issues, participants: 'ana,bob,cyd', rounds: 20 }), deps);
    for (const [handle, flags] of Object.entries(CONFLICT.prefs)) {
      const prefer: string[] = [];
      const limit: string[] = [];
      for (let i = 0; i < flags.length; i += 2) (flags[i] === '--prefer' ? prefer : limit).push(flags[i + 1]);
      await joinSession(room, handle, parseJoin({ prefer, limit }), deps);
    }
    const stepMs: number[] = [];
    const readMs: number[] = [];
    let id = '';
    for (let round = 0; round < 40; round++) {
      const files = await loadSession(room, (id ||= (await import('../src/coord/negotiation/store.js').then((m) => m.openSessionId(room))) as string));
      if (files.session.state !== 'active') break;
      const handles = files.session.participants;
      // The last reply of the round is written without a step, so the step is timed alone.
      for (const handle of handles.slice(0, -1)) {
        const d = decide(files.session, files.positions, handle, 'boulware');
        await replyToRound(room, handle, d.action === 'propose' ? { action: 'propose', proposal: d.offer } : d, deps);
      }
      const last = handles[handles.length - 1];
      const d = decide(files.session, files.positions, last, 'boulware');
      const { replyKey } = await import('../src/coord/negotiation/format.js');
      await room.create(replyKey(id, files.session.round, last), { handle: last, round: files.session.round, at: new Date().toISOString(), ...d }, { handle: last, format: 'json' });
      const t0 = process.hrtime.bigint();
      await room.get(`sessions/${id}/session`);
      readMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const t1 = process.hrtime.bigint();
      await advance(room, id, deps);
      stepMs.push(Number(process.hrtime.bigint() - t1) / 1e6);
    }
    console.log(`mediator work per round (${stepMs.length} rounds, one process, real files): median ${median(stepMs).toFixed(2)} ms (goal <= 20 ms); baseline one session.md read: ${median(readMs).toFixed(2)} ms`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args], { env });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (code) => done({ code: code ?? -1, stdout }));
  });
}

async function processes(): Promise<void> {
  const walls: number[] = [];
  const starts: number[] = [];
  let lastLine = '';
  for (let r = 0; r < runs; r++) {
    const home = mkdtempSync(join(tmpdir(), 'mycelium-bench-'));
    const env = { ...process.env, MYCELIUM_HOME: home, MYCELIUM_ROOM: 'bench' };
    try {
      await run(['room', 'create', 'bench'], env);
      await run(['negotiate', 'open', '--handle', 'lead', '--rounds', '20', '--participants', 'ana,bob,cyd', ...CONFLICT.issues.flatMap((i) => ['--issue', i])], env);
      for (const [handle, flags] of Object.entries(CONFLICT.prefs)) await run(['session', 'join', '--handle', handle, ...flags], env);
      const s0 = process.hrtime.bigint();
      await Promise.all(['ana', 'bob', 'cyd'].map(() => run(['--version'], env)));
      starts.push(Number(process.hrtime.bigint() - s0) / 1e6);
      const t0 = process.hrtime.bigint();
      const results = await Promise.all(['ana', 'bob', 'cyd'].map((h) => run(['negotiate', 'auto', '--handle', h], env)));
      walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
      lastLine = results[0].stdout.trim().split('\n').at(-1) ?? '';
      if (results.some((x) => x.code !== 0)) throw new Error(`an auto agent failed: ${results.map((x) => x.stdout).join('\n')}`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  const wall = median(walls);
  const start = median(starts);
  console.log(`3 auto processes, 20 rounds (${runs} runs): wall median ${wall.toFixed(0)} ms; baseline 3 parallel process starts ${start.toFixed(0)} ms; beyond process starts ${(wall - start).toFixed(0)} ms (goal <= 3000 ms)`);
  console.log(`  outcome: ${lastLine.slice(0, 200)}`);
}

quality();
await mediatorWork();
await processes();
