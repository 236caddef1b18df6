import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { claimKey } from '../coord/claims/store.js';
import { checkVerb, claimVerb, claimsVerb, handoffVerb, releaseVerb, renewVerb } from '../coord/claims/verbs.js';
import { PLAN_KEY } from '../coord/plan/store.js';
import {
  planAddVerb,
  planAssignVerb,
  planClaimVerb,
  planCloseVerb,
  planEditVerb,
  planNeedsVerb,
  planReadyVerb,
  planTasksVerb,
} from '../coord/plan/verbs.js';
import { InvalidInputError, MyceliumError, errorReply } from '../errors.js';
import { Room } from '../room.js';
import type { ServerContext } from './app.js';
import { handleOf } from './request.js';

type Params = { room: string; id?: string; verb?: string };
type Req = FastifyRequest<{ Params: Params; Querystring: Record<string, string> }>;

/** HTTP status by exit code, for the plan and claim errors (409 names the holder). */

/**
 * The plan and claims over HTTP (issue 13), thin over the same verb schemas as the CLI and MCP.
 * For rooms cloned from this server, the server is the authority for claims.
 *
 *   GET  /rooms/:room/plan/tasks            ?all&mine&ready&owner
 *   POST /rooms/:room/plan/tasks            {text, owner?, needs?}
 *   POST /rooms/:room/plan/tasks/:id/:verb  claim | done | undo | drop | assign {owner} | edit {text} | needs {needs}
 *   POST /rooms/:room/plan/ready            {claim?}
 *   GET  /rooms/:room/claims                ?holder&all
 *   POST /rooms/:room/claims                {paths, ttl?, worktree?, task?, checkpoint?}
 *   POST /rooms/:room/claims/release        {id | all, epoch?}
 *   POST /rooms/:room/claims/check          {paths, worktree?}
 *   POST /rooms/:room/claims/:id/renew      {epoch?, ttl?, checkpoint?}
 *   POST /rooms/:room/claims/:id/handoff    {to, epoch?}
 */
export function registerPlanRoutes(app: FastifyInstance, { daemon, openRoom }: ServerContext): void {
  const route = (method: 'GET' | 'POST', url: string, body: (room: Room, handle: string, input: Record<string, unknown>, request: Req) => Promise<unknown>, touches?: string) =>
    app.route<{ Params: Params; Querystring: Record<string, string> }>({
      method,
      url,
      handler: async (request, reply: FastifyReply) => {
        try {
          const room = await openRoom(request.params.room);
          const input = { ...(request.query ?? {}), ...bodyOf(request.body), ...(request.params.id ? { id: request.params.id } : {}) };
          const result = await body(room, handleOf(request), input, request);
          if (touches) await daemon.touched(room.name, touches);
          return result ?? null;
        } catch (err) {
          if (err instanceof MyceliumError) {
            const { status, body } = errorReply(err);
            return reply.code(status).send(body);
          }
          throw err;
        }
      },
    });

  route('GET', '/rooms/:room/plan/tasks', (room, handle, input) => planTasksVerb(room, handle, input));
  route('POST', '/rooms/:room/plan/tasks', (room, handle, input) => planAddVerb(room, handle, input), PLAN_KEY);
  route('POST', '/rooms/:room/plan/tasks/:id/:verb', (room, handle, input, request) => {
    switch (request.params.verb) {
      case 'claim':
        return planClaimVerb(room, handle, input);
      case 'done':
        return planCloseVerb(room, handle, input, 'done');
      case 'undo':
        return planCloseVerb(room, handle, input, 'open');
      case 'drop':
        return planCloseVerb(room, handle, input, 'dropped');
      case 'assign':
        return planAssignVerb(room, handle, input);
      case 'edit':
        return planEditVerb(room, handle, input);
      case 'needs':
        return planNeedsVerb(room, handle, input);
      default:
        throw new InvalidInputError(`unknown task verb '${request.params.verb}'; use claim, done, undo, drop, assign, edit or needs`);
    }
  }, PLAN_KEY);
  route('POST', '/rooms/:room/plan/ready', (room, handle, input) => planReadyVerb(room, handle, input), PLAN_KEY);

  route('GET', '/rooms/:room/claims', (room, handle, input) => claimsVerb(room, handle, input));
  route('POST', '/rooms/:room/claims', async (room, handle, input) => {
    const result = await claimVerb(room, handle, input);
    await daemon.touched(room.name, claimKey(result.claim.id));
    return result;
  });
  route('POST', '/rooms/:room/claims/release', async (room, handle, input) => {
    const released = await releaseVerb(room, handle, input);
    for (const c of released) await daemon.touched(room.name, claimKey(c.id));
    return { released };
  });
  route('POST', '/rooms/:room/claims/check', (room, handle, input) => checkVerb(room, handle, input));
  route('POST', '/rooms/:room/claims/:id/renew', async (room, handle, input) => {
    const result = await renewVerb(room, handle, input);
    await daemon.touched(room.name, claimKey(result.claim.id));
    return result;
  });
  route('POST', '/rooms/:room/claims/:id/handoff', async (room, handle, input) => {
    const claim = await handoffVerb(room, handle, input);
    await daemon.touched(room.name, claimKey(claim.id));
    return { claim };
  });
}

function bodyOf(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) throw new InvalidInputError('the request body must be a JSON object');
  return body as Record<string, unknown>;
}
