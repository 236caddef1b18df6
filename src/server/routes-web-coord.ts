/**
 * The coordination pages of the web face (issue 16): the plan board, claims, negotiations and
 * synthesis, and the actions a person needs (add, tick, claim, assign or edit a task, release a stale claim, write a
 * synthesis, drop a task, hand off a claim). Every read and write is the same library call the CLI makes, as the operator handle.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isOnline, listAgents } from '../coord/agents.js';
import { isStaleClaim, listClaims, releaseStaleClaim } from '../coord/claims/store.js';
import { handoffVerb } from '../coord/claims/verbs.js';
import { DIGEST_CONTRIBUTORS } from '../coord/digest/contributors.js';
import { buildDigest } from '../coord/digest/index.js';
import { llmForHome } from '../coord/llm.js';
import { sessionStatus, type SessionStatus } from '../coord/negotiation/status.js';
import { sessionIds } from '../coord/negotiation/store.js';
import { PLAN_KEY, readPlan } from '../coord/plan/store.js';
import { planAddVerb, planAssignVerb, planClaimVerb, planCloseVerb, planEditVerb } from '../coord/plan/verbs.js';
import { catchup, synthesize } from '../coord/synthesis/index.js';
import { MyceliumError, SynthesisJobNotFoundError, errorReply } from '../errors.js';
import { Room } from '../room.js';
import type { ServerContext } from './app.js';
import { PAGE_HEADERS, escapeHtml, page, roomPath } from './web/html.js';
import { type SynthesisJob, SynthesisJobs } from './web/jobs.js';
import { roomCrumbs } from './web/views.js';
import { type CoordState, agentsList, claimsTable, digestView, planBoard, synthesisView } from './web/views-coord.js';

type RoomParams = { room: string };
type Form = Record<string, string>;

/** Negotiations listed on a room page; the negotiations page shows this many more. */
export const SESSIONS_ON_ROOM_PAGE = 3;
const CATCHUP_SHOWN = 50;

/** Reads the plan, claims (live, with staleness), the newest negotiations and the agents. */
export async function readCoordState(room: Room, sessions: number, now = new Date()): Promise<CoordState> {
  const [plan, { claims }, ids, cards] = await Promise.all([readPlan(room), listClaims(room, {}), sessionIds(room), listAgents(room)]);
  const seen = new Map(cards.map((c) => [c.handle, c.last_seen]));
  const statuses = await Promise.all(
    ids.slice(-sessions).reverse().map((id) => sessionStatus(room, id).catch(() => undefined)),
  );
  return {
    plan,
    claims: claims.map((claim) => ({ claim, stale: isStaleClaim(claim, seen.get(claim.holder), now) })),
    sessions: statuses.filter((s): s is SessionStatus => s !== undefined),
    agents: cards.map((card) => ({ card, online: isOnline(card, now) })),
  };
}

/** Where an action sends the person back to: a page of this room, else the room page. */
export function backTo(room: string, form: Form): string {
  const base = roomPath(room);
  const path = form.back ?? '';
  return (path === base || path.startsWith(`${base}/`) || path.startsWith(`${base}?`)) && !/[\\\s]|\/\//.test(path) ? path : base;
}

/**
 * Runs a page action (`work` returns the key it wrote, for the daemon): then back to the page the
 * form came from; a library error re-renders the page (`onError`) with its message and status.
 */
export function pageAction(daemon: ServerContext['daemon']) {
  return async (reply: FastifyReply, room: Room, form: Form, work: () => Promise<string>, onError: (message: string) => Promise<unknown>) => {
    try {
      const key = await work();
      await daemon.touched(room.name, key);
    } catch (err) {
      if (!(err instanceof MyceliumError)) throw err;
      reply.code(errorReply(err).status);
      return onError(err.message);
    }
    return reply.redirect(backTo(room.name, form), 303);
  };
}

export function registerWebCoordRoutes(app: FastifyInstance, context: ServerContext): void {
  const { home, daemon, operator, tokenRequired, openRoom } = context;
  const html = (reply: FastifyReply, title: string, body: string, crumbs?: string) =>
    reply.headers(PAGE_HEADERS).send(page(title, body, { crumbs, logout: tokenRequired }));
  const errorBox = (message: string) => `<p class="error" role="alert">${escapeHtml(message)}</p>`;

  async function planPage(reply: FastifyReply, room: Room, error = '') {
    const plan = await readPlan(room);
    const here = `${roomPath(room.name)}/plan`;
    return html(reply, `Plan ${room.name}`, `<h1>Plan of ${escapeHtml(room.name)}</h1>${error ? errorBox(error) : ''}${planBoard(room.name, plan, here, { allDone: true })}`, roomCrumbs(room.name, 'plan'));
  }

  app.get<{ Params: RoomParams }>('/ui/rooms/:room/plan', async (request, reply) => planPage(reply, await openRoom(request.params.room)));

  const act = pageAction(daemon);

  app.post<{ Params: RoomParams; Body: Form }>('/ui/rooms/:room/plan/tasks', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const form = request.body ?? {};
    const needs = (form.needs ?? '').split(/[\s,]+/).filter((id) => id !== '');
    return act(reply, room, form, async () => (await planAddVerb(room, operator, { text: form.text ?? '', needs }), PLAN_KEY), (message) => planPage(reply, room, message));
  });

  app.post<{ Params: RoomParams; Body: Form }>('/ui/rooms/:room/plan/done', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const form = request.body ?? {};
    return act(reply, room, form, async () => (await planCloseVerb(room, operator, { ids: [form.id ?? ''] }, 'done'), PLAN_KEY), (message) => planPage(reply, room, message));
  });

  app.post<{ Params: RoomParams; Body: Form }>('/ui/rooms/:room/plan/drop', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const form = request.body ?? {};
    return act(reply, room, form, async () => (await planCloseVerb(room, operator, { ids: [form.id ?? ''] }, 'dropped'), PLAN_KEY), (message) => planPage(reply, room, message));
  });

  // Claim, assign, edit: the plan verbs' own schemas (what `plan task claim|assign|edit` and the HTTP
  // routes call), with the form's fields as their input, as the operator.
  const planVerbs = { claim: planClaimVerb, assign: planAssignVerb, edit: planEditVerb } as const;
  for (const [name, verb] of Object.entries(planVerbs)) {
    app.post<{ Params: RoomParams; Body: Form }>(`/ui/rooms/:room/plan/${name}`, async (request, reply) => {
      const room = await openRoom(request.params.room);
      const form = request.body ?? {};
      const input = { id: form.id, owner: form.owner, text: form.text };
      return act(reply, room, form, async () => (await verb(room, operator, input), PLAN_KEY), (message) => planPage(reply, room, message));
    });
  }

  async function claimsPage(reply: FastifyReply, room: Room, error = '') {
    const now = new Date();
    const state = await readCoordState(room, 0, now);
    const here = `${roomPath(room.name)}/claims`;
    const body = `<h1>Claims in ${escapeHtml(room.name)}</h1>${error ? errorBox(error) : ''}${claimsTable(room.name, state.claims, now, here, operator)}${agentsList(state.agents)}`;
    return html(reply, `Claims ${room.name}`, body, roomCrumbs(room.name, 'claims'));
  }

  app.get<{ Params: RoomParams }>('/ui/rooms/:room/claims', async (request, reply) => claimsPage(reply, await openRoom(request.params.room)));

  app.post<{ Params: RoomParams; Body: Form }>('/ui/rooms/:room/claims/release', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const form = request.body ?? {};
    return act(reply, room, form, async () => `claims/${(await releaseStaleClaim(room, operator, form.id ?? '')).id}`, (message) => claimsPage(reply, room, message));
  });

  // The operator's own claim handed to another handle: `claim handoff`'s schema (id, to, epoch).
  app.post<{ Params: RoomParams; Body: Form }>('/ui/rooms/:room/claims/handoff', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const form = request.body ?? {};
    return act(reply, room, form, async () => `claims/${(await handoffVerb(room, operator, { id: form.id, to: form.to, epoch: form.epoch })).id}`, (message) => claimsPage(reply, room, message));
  });


  const jobs = new SynthesisJobs();

  async function synthesisPage(reply: FastifyReply, room: Room, error = '', job?: SynthesisJob) {
    const [state, digest] = await Promise.all([
      catchup(room, { limit: CATCHUP_SHOWN }),
      // The operator's own digest (it moves only the operator's digest cursor).
      buildDigest(room, operator, { contributors: DIGEST_CONTRIBUTORS }),
    ]);
    return html(reply, `Synthesis ${room.name}`, synthesisView(room.name, state, { handle: operator, text: digest.text }, error, job ?? jobs.runningIn(room.name)), roomCrumbs(room.name, 'synthesis'));
  }

  // Any agent's digest, as it would get it now, without moving its cursor (peek): what a person
  // checks to see what an agent is being told. The handle is checked by the digest's own rule.
  app.get<{ Params: RoomParams; Querystring: { handle?: string } }>('/ui/rooms/:room/digest', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const handle = (request.query.handle ?? '').trim() || operator;
    const cards = await listAgents(room);
    const digest = await buildDigest(room, handle, { contributors: DIGEST_CONTRIBUTORS, peek: true });
    return html(reply, `Digest ${room.name}`, digestView(room.name, handle, cards.map((c) => c.handle), digest.text), roomCrumbs(room.name, 'digest'));
  });

  app.get<{ Params: RoomParams; Querystring: { job?: string } }>('/ui/rooms/:room/synthesis', async (request, reply) => {
    const room = await openRoom(request.params.room);
    return synthesisPage(reply, room, '', request.query.job ? jobs.get(room.name, request.query.job) : undefined);
  });

  // Starts a synthesis as a job (`room synthesize`: the LLM of config.toml if one is set, else the
  // digest) and answers at once; the page then follows the job. A room's running job is reused.
  app.post<{ Params: RoomParams; Body: Form }>('/ui/rooms/:room/synthesis', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const job = jobs.start(
      room.name,
      async (onProgress) => {
        const result = await synthesize(room, { handle: operator, llm: llmForHome(home), onProgress });
        if (result.key) await daemon.touched(room.name, result.key);
        return result;
      },
      (err) => request.log.error(err),
    );
    return reply.redirect(`${roomPath(room.name)}/synthesis?job=${encodeURIComponent(job.id)}`, 303);
  });

  app.get<{ Params: RoomParams & { id: string } }>('/ui/rooms/:room/synthesis/jobs/:id', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const job = jobs.get(room.name, request.params.id);
    if (!job) throw new SynthesisJobNotFoundError(`no synthesis job '${request.params.id}' in room '${room.name}' (jobs are kept while the server runs); start one from the synthesis page`);
    return reply.header('Cache-Control', 'no-store').send(job);
  });
}
