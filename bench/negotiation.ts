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
 * 3. Three `negotiate auto` processes over 20 rounds: wall time from spawn to the last exit, next
 *    to three `mycelium --version` processes started the same way (the process start cost). The
 *    agents' hard limits cannot all hold, on purpose: a session that agrees ends early (round 1-17
 *    in the quality runs), and the issue's figure is for a 20-round negotiation, so every one of
 *    the 20 rounds must be played. The expected end is therefore "broken: no outcome respects
 *    every hard limit" after round 20; the bench checks exactly that and prints one line saying so,
 *    and prints any other end in full.
 * usage: npm run bench:negotiation [-- --instances N --runs N]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Issue, type Offer, type Position, replyKey } from '../src/coord/negotiation/format.js';
import { decide } from '../src/coord/negotiation/auto.js';
import { planTasksPort } from '../src/coord/negotiation/plan-tasks.js';
import { parseOpen } from '../src/coord/negotiation/schema.js';
import { simulate } from '../src/coord/negotiation/simulate.js';
import { advance, joinSession, loadSession, openNegotiation, readConsensusFile, replyToRound, sessionIds } from '../src/coord/negotiation/store.js';
import { Room } from '../src/room.js';
import { candidates, sameOffer, scorerFor } from '../src/coord/negotiation/utility.js';
import { createRoom } from '../src/rooms.js';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const instances = arg('--instances', 1000);
const runs = arg('--runs', 3);
const onFilesCount = arg('--on-files', 200);
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

interface Instance {
  issues: Issue[];
  positions: Position[];
}

/** The random instances, the same every run: 3 agents, 3 issues, 3-4 options, random rankings and weights. */
function makeInstances(count: number): Instance[] {
  const out: Instance[] = [];
  for (let n = 0; n < count; n++) {
    const issues: Issue[] = ['api', 'db', 'owner'].map((key) => ({ key, options: Array.from({ length: 3 + Math.floor(random() * 2) }, (_, i) => `${key}${i}`) }));
    const positions: Position[] = ['a', 'b', 'c'].map((handle) => ({
      handle,
      message: '',
      prefer: Object.fromEntries(issues.map((i) => [i.key, shuffle(i.options)])),
      weight: Object.fromEntries(issues.map((i) => [i.key, 0.1 + Math.round(random() * 90) / 10])),
      limits: {},
      joined_at: '2026-01-01T00:00:00.000Z',
    }));
    out.push({ issues, positions });
  }
  return out;
}

/** The grid's best Nash product for an instance (0 when no outcome is acceptable) and an outcome's ratio to it. */
function nashOf(instance: Instance) {
  const list = candidates(instance.issues, instance.positions.map((p) => scorerFor(p, instance.issues)));
  const best = list.acceptable.length > 0 ? list.acceptable[0].nash : 0;
  return { list, best, ratio: (outcome: Offer) => (list.all.find((c) => sameOffer(c.offer, outcome))?.nash ?? 0) / best };
}

/** Broken outcomes are counted and their reasons printed: a benchmark that skipped them would hide a failure. */
function reportBroken(label: string, reasons: string[]): void {
  if (reasons.length === 0) return console.log(`  ${label}: broken: true in 0 sessions`);
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  console.log(`  ${label}: broken: true in ${reasons.length} session(s):`);
  for (const [reason, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`    ${n} x ${reason.slice(0, 160)}`);
}

function quality(list: Instance[]): void {
  let admits = 0;
  const ratios: number[] = [];
  const baseline: number[] = [];
  const rounds: number[] = [];
  const broken: string[] = [];
  for (const instance of list) {
    const nash = nashOf(instance);
    if (nash.list.acceptable.length === 0 || nash.best <= 0) continue;
    admits++;
    baseline.push(nash.list.acceptable[Math.floor(random() * nash.list.acceptable.length)].nash / nash.best);
    const result = simulate(instance.issues, instance.positions, 'boulware', 20);
    if (result.broken || !result.outcome) {
      broken.push(result.reason ?? 'no reason');
      continue;
    }
    rounds.push(result.rounds);
    ratios.push(nash.ratio(result.outcome));
  }
  console.log(`quality: ${list.length} instances in memory (the CLI's decide + step), ${admits} admit an acceptable outcome`);
  console.log(`  consensus: ${((100 * ratios.length) / admits).toFixed(1)}% (goal >= 90%), median round ${median(rounds)}`);
  console.log(`  Nash ratio: median ${median(ratios).toFixed(3)} (goal >= 0.95), p10 ${quantile(ratios, 0.1).toFixed(3)}; baseline random acceptable outcome: median ${median(baseline).toFixed(3)}`);
  reportBroken('in memory', broken);
}

const deps = { plan: planTasksPort };

/**
 * Plays one instance on real files in its own room: the agents' replies are written as `negotiate
 * auto` writes them (the first two through replyToRound, which looks at the session after writing),
 * the last one as a bare file, so the `advance` that closes the round is timed alone. Returns the
 * outcome and the timings of every round.
 */
async function playOnFiles(home: string, name: string, instance: Instance, timings: { step: number[]; look: number[]; read: number[] }) {
  const { room } = await createRoom(home, name);
  const issues = instance.issues.map((i) => `${i.key}=${i.options.join(',')}`);
  const opened = await openNegotiation(room, 'lead', parseOpen({ issue: issues, participants: 'a,b,c', rounds: 20 }), deps);
  for (const p of instance.positions) await joinSession(room, p.handle, { message: '', prefer: p.prefer, weight: p.weight, limits: p.limits }, deps);
  const id = opened.id;
  for (let guard = 0; guard < 45; guard++) {
    const files = await loadSession(room, id);
    if (files.session.state !== 'active') break;
    const handles = files.session.participants;
    for (const handle of handles.slice(0, -1)) {
      const d = decide(files.session, files.positions, handle, 'boulware');
      const t = process.hrtime.bigint();
      await replyToRound(room, handle, d.action === 'propose' ? { action: 'propose', proposal: d.offer } : d, deps);
      timings.look.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const last = handles[handles.length - 1];
    const d = decide(files.session, files.positions, last, 'boulware');
    await room.create(replyKey(id, files.session.round, last), { handle: last, round: files.session.round, at: new Date().toISOString(), ...d }, { handle: last, format: 'json' });
    const t0 = process.hrtime.bigint();
    await room.get(`sessions/${id}/session`);
    timings.read.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const t1 = process.hrtime.bigint();
    await advance(room, id, deps);
    timings.step.push(Number(process.hrtime.bigint() - t1) / 1e6);
  }
  return (await loadSession(room, id)).session.state === 'concluded' ? await readConsensusFile(room, id) : undefined;
}

/** Mediator work per round over real files, and the same outcomes as in memory (the step is pure). */
async function onFiles(list: Instance[]): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'mycelium-bench-'));
  const timings = { step: [] as number[], look: [] as number[], read: [] as number[] };
  const ratios: number[] = [];
  const broken: string[] = [];
  let admits = 0;
  let same = 0;
  try {
    for (let n = 0; n < list.length; n++) {
      const nash = nashOf(list[n]);
      const consensus = await playOnFiles(home, `bench-${n}`, list[n], timings);
      const inMemory = simulate(list[n].issues, list[n].positions, 'boulware', 20);
      if (consensus && (consensus.broken ? inMemory.broken : !inMemory.broken && sameOffer(consensus.outcome ?? {}, inMemory.outcome ?? {}))) same++;
      if (nash.list.acceptable.length === 0 || nash.best <= 0) continue;
      admits++;
      if (!consensus || consensus.broken || !consensus.outcome) broken.push(consensus?.reason ?? 'the session never concluded');
      else ratios.push(nash.ratio(consensus.outcome));
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  console.log(`on files: ${list.length} instances, each a real session in its own room (${timings.step.length} rounds)`);
  console.log(`  consensus: ${((100 * ratios.length) / admits).toFixed(1)}% of ${admits}; Nash ratio median ${median(ratios).toFixed(3)}; same outcome as in memory: ${same}/${list.length}`);
  reportBroken('on files', broken);
  console.log(
    `  mediator work per round (one advance: lock, read, step, session.md, tick messages, marker): median ${median(timings.step).toFixed(2)} ms, p90 ${quantile(timings.step, 0.9).toFixed(2)} ms (goal <= 20 ms); ` +
      `a reply and the look after it: median ${median(timings.look).toFixed(2)} ms; baseline one session.md read: ${median(timings.read).toFixed(2)} ms`,
  );
}

/** Three agents whose hard limits cannot all hold (ana refuses mysql and sqlite, bob postgres): every one of the 20 rounds is played. */
const CONFLICT = {
  issues: ['api=rest,graphql,grpc', 'db=postgres,sqlite,mysql', 'owner=ana,bob,cyd'],
  prefs: {
    ana: ['--prefer', 'api=rest>graphql>grpc', '--prefer', 'db=postgres>sqlite>mysql', '--limit', 'db!=mysql', '--limit', 'db!=sqlite'],
    bob: ['--prefer', 'api=graphql>rest>grpc', '--prefer', 'db=mysql>sqlite>postgres', '--limit', 'db!=postgres'],
    cyd: ['--prefer', 'api=grpc>rest>graphql', '--prefer', 'db=sqlite>postgres>mysql', '--prefer', 'owner=cyd>ana>bob'],
  } as Record<string, string[]>,
};

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** What one auto process ended with: its consensus line, or what went wrong (reported as broken, never skipped). */
function outcomeOf(handle: string, result: { code: number; stdout: string; stderr: string }): { broken: boolean; line: string } {
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    const event = JSON.parse(last) as { type?: string; broken?: boolean; reason?: string | null; outcome?: unknown; error?: string; instruction?: string };
    if (result.code === 0 && event.type === 'consensus') {
      return { broken: event.broken === true, line: event.broken ? `broken: true (${event.reason ?? 'no reason'})` : `agreed ${JSON.stringify(event.outcome)}` };
    }
    return { broken: true, line: `broken: true (${handle} exited ${result.code} with ${event.type}: ${event.error ?? ''} ${event.instruction ?? ''})` };
  } catch {
    return { broken: true, line: `broken: true (${handle} exited ${result.code}: ${(result.stderr.trim() || last || 'no output').slice(0, 160)})` };
  }
}

/** How the 3-process session ended, from its consensus.md: the round it ended in and why. */
async function endOf(home: string): Promise<{ round: number; broken: boolean; reason: string | null } | undefined> {
  const room = await Room.open(home, 'bench');
  const id = (await sessionIds(room)).at(-1);
  const consensus = id === undefined ? undefined : await readConsensusFile(room, id);
  return consensus && { round: consensus.round, broken: consensus.broken, reason: consensus.reason };
}

async function processes(): Promise<void> {
  const walls: number[] = [];
  const starts: number[] = [];
  const unexpected: string[] = [];
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
      const handles = ['ana', 'bob', 'cyd'];
      const results = await Promise.all(handles.map((h) => run(['negotiate', 'auto', '--handle', h, '--timeout', '60'], env)));
      walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
      // As built: all three processes print the same end, the limits' one, after round 20 of 20.
      const ends = results.map((x, i) => outcomeOf(handles[i], x));
      const end = await endOf(home);
      const asBuilt = end?.round === 20 && end.broken && ends.every((e) => e.line.startsWith('broken: true (no outcome respects'));
      if (!asBuilt) unexpected.push(`run ${r + 1} did not end as built (round ${end?.round ?? '?'} of 20): ${[...new Set(ends.map((e) => e.line))].join(' | ').slice(0, 300)}`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
  const wall = median(walls);
  const start = median(starts);
  console.log(`3 auto processes, 20 rounds (${runs} runs): wall median ${wall.toFixed(0)} ms; baseline 3 parallel process starts ${start.toFixed(0)} ms; beyond process starts ${(wall - start).toFixed(0)} ms (goal <= 3000 ms); each run beyond starts: ${walls.map((w, i) => (w - starts[i]).toFixed(0)).join(', ')} ms`);
  console.log(
    `  scenario: hard limits that cannot all hold (ana refuses db=mysql|sqlite, bob refuses db=postgres), so all 20 rounds are played; ` +
      `${runs - unexpected.length}/${runs} runs played round 20 and ended "no outcome respects every hard limit", as designed`,
  );
  for (const line of unexpected) console.log(`  UNEXPECTED: ${line}`);
}

const sections = (process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : 'quality,files,processes').split(',');
const all = makeInstances(instances);
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cores)`);
if (sections.includes('quality')) quality(all);
if (sections.includes('files')) await onFiles(all.slice(0, onFilesCount));
if (sections.includes('processes')) await processes();
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
