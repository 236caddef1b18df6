import { markSessionMessagesRead } from '../../src/coord/negotiation/announce.js';
import { consensusEventOf } from '../../src/coord/negotiation/ticks.js';
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { registerAgent } from '../../src/coord/agents.js';
import { grantClaim, releaseAll } from '../../src/coord/claims/store.js';
import { DIGEST_CONTRIBUTORS } from '../../src/coord/digest/contributors.js';
import { buildDigest } from '../../src/coord/digest/index.js';
import { readInbox } from '../../src/coord/messages/inbox.js';
import { sendMessage } from '../../src/coord/messages/store.js';
import { decide } from '../../src/coord/negotiation/auto.js';
import { defaultPlanPort } from '../../src/coord/negotiation/plan-choice.js';
import { parseJoin, parseOpen } from '../../src/coord/negotiation/schema.js';
import { joinSession, loadSession, openNegotiation, readConsensusFile, replyToRound } from '../../src/coord/negotiation/store.js';
import { assignTask, completeTask, nextReady, readPlan } from '../../src/coord/plan/store.js';
import { ClaimConflictError } from '../../src/errors.js';
import type { Room } from '../../src/room.js';

export type DemoStep = (command: string, result: string) => void;

const deps = { plan: defaultPlanPort };
const AGENTS = [
  { handle: 'ana', role: 'lead', prefer: ['api=rest>grpc', 'db=postgres>sqlite'] },
  { handle: 'bob', role: 'backend', prefer: ['api=grpc>rest', 'db=postgres>sqlite'] },
  { handle: 'cyd', role: 'docs', prefer: ['api=rest>grpc', 'db=sqlite>postgres'] },
] as const;

/**
 * The coordination arc of `mycelium demo`, in the demo's throwaway room: three agents register,
 * negotiate two issues to consensus (each answering ticks as `negotiate auto` would), the consensus
 * becomes plan tasks, each takes one with `plan ready --claim`, claims files (an overlapping claim
 * is refused, naming the holder), finishes, and tells the others with an @mention; the digest shows
 * each agent what is waiting for it. Every step checks what it read back. Library calls, not child
 * processes, so the demo stays a second or two.
 */
export async function coordinationDemo(room: Room, step: DemoStep): Promise<void> {
  for (const agent of AGENTS) await registerAgent(room, agent.handle, { role: agent.role });
  step('mycelium agent register --role lead|backend|docs   (as ana, bob, cyd)', 'three agent cards under agents/');

  const open = parseOpen({ issue: ['api=rest,grpc', 'db=postgres,sqlite'], participants: 'ana,bob,cyd' });
  const session = await openNegotiation(room, 'ana', open, deps);
  step('mycelium negotiate open --issue api=rest,grpc --issue db=postgres,sqlite --participants ana,bob,cyd', `session ${session.id} open`);
  for (const agent of AGENTS) await joinSession(room, agent.handle, parseJoin({ message: `${agent.handle} joins`, prefer: [...agent.prefer] }), deps);
  step('mycelium session join --prefer …   (each agent, its own preferences)', 'all three joined; round 1 starts');

  // Each round, every participant that has not answered decides the way `negotiate auto` does.
  let rounds = 0;
  for (let guard = 0; guard < 200; guard++) {
    const files = await loadSession(room, session.id);
    if (files.session.state === 'concluded') break;
    if (files.session.state !== 'active') throw new Error(`demo: session ${session.id} did not start (${files.session.state})`);
    rounds = files.session.round;
    const waiting = files.session.participants.filter((h) => !files.replies.some((r) => r.handle === h));
    const handle = waiting.find((h) => h === files.session.proposer_id) ?? waiting[0];
    const decision = decide(files.session, files.positions, handle, 'boulware');
    await replyToRound(room, handle, decision.action === 'propose' ? { action: 'propose', proposal: decision.offer } : decision, deps);
  }
  const consensus = await readConsensusFile(room, session.id);
  ok(consensus && !consensus.broken && consensus.outcome, `demo: the negotiation ended without consensus (${consensus?.reason ?? 'no consensus file'})`);
  // Each agent has seen the consensus, as `session await` would have shown it: its tick messages are read.
  const concluded = (await loadSession(room, session.id)).session;
  for (const agent of AGENTS) await markSessionMessagesRead(room, agent.handle, consensusEventOf(concluded, consensus));
  ok(consensus.plan.length >= 2, 'demo: the consensus compiled into fewer than two tasks');
  const outcome = Object.entries(consensus.outcome).map(([k, v]) => `${k}=${v}`).join(' ');
  step('mycelium negotiate auto   (the mediator steps each round)', `consensus after ${rounds} round(s): ${outcome}; ${consensus.plan.length} tasks written to ${consensus.plan_file}`);

  // The consensus owns each task to a participant who ranked its value first; ana, the lead, takes
  // one and hands another to bob if the plan gave bob none.
  const taken: Record<string, string> = {};
  const anas = await nextReady(room, 'ana', { claim: true });
  ok(anas, 'demo: no ready task for ana');
  taken.ana = anas.task.id;
  let handedOver = '';
  const plan = await readPlan(room);
  const forBob = plan.tasks.find((t) => t.state === 'open' && t.owner === 'bob') ?? plan.tasks.find((t) => t.state === 'open' && t.id !== taken.ana);
  ok(forBob, 'demo: the plan has no second open task');
  if (forBob.owner !== 'bob') {
    await assignTask(room, 'ana', forBob.id, 'bob');
    handedOver = ` (ana assigned it: mycelium plan task assign ${forBob.id} bob)`;
  }
  const bobs0 = await nextReady(room, 'bob', { claim: true });
  ok(bobs0 && bobs0.task.owner === 'bob', 'demo: no ready task for bob');
  taken.bob = bobs0.task.id;
  ok(taken.ana !== taken.bob, 'demo: two agents took the same task');
  step('mycelium plan ready --claim   (as ana, then bob)', `ana took ${taken.ana}, bob took ${taken.bob}${handedOver}`);

  const anaClaim = await grantClaim(room, { holder: 'ana', paths: ['src/api'], task: taken.ana });
  const refused = await grantClaim(room, { holder: 'bob', paths: ['src/api/routes.ts'] }).then(
    () => undefined,
    (err: unknown) => (err instanceof ClaimConflictError ? err : Promise.reject(err)),
  );
  ok(refused && refused.message.includes('ana'), 'demo: an overlapping claim was not refused');
  await grantClaim(room, { holder: 'bob', paths: ['src/db'], task: taken.bob });
  step('mycelium claim src/api   (ana)  ·  mycelium claim src/api/routes.ts   (bob)', `${anaClaim.claim.id} granted; bob refused with exit 3: ${refused.message}`);

  await completeTask(room, 'ana', [taken.ana]);
  await releaseAll(room, 'ana');
  await sendMessage(room, { from: 'ana', text: `@bob the API (${taken.ana}) is done, src/api is free` });
  step(`mycelium plan task done ${taken.ana} && mycelium release --all && mycelium room send "@bob the API is done…"`, 'task closed, claim released, bob mentioned');

  const bobs = await buildDigest(room, 'bob', { contributors: DIGEST_CONTRIBUTORS });
  ok(bobs.text.includes('## Unread messages for you (1)') && bobs.text.includes('src/api is free'), "demo: bob's digest misses ana's message");
  ok(bobs.text.includes('## Your claims') && bobs.text.includes('## Your open tasks'), "demo: bob's digest misses his claim or his task");
  step('mycelium digest   (bob: what the UserPromptSubmit hook would inject)', `${bobs.text.length} characters: ana's @mention, bob's claim on src/db, his open task`);
  const inbox = await readInbox(room, 'bob');
  deepStrictEqual(inbox.map((m) => m.from), ['ana']);
  step('mycelium inbox   (bob)', `1 unread from @ana: ${JSON.stringify(inbox[0].text)}`);
}
