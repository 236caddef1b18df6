import type { FastifyInstance } from 'fastify';
import { llmForHome } from '../coord/llm.js';
import {
  catchup,
  catchupLimit,
  clearTrigger,
  formatTrigger,
  pendingChanges,
  readTrigger,
  setTrigger,
  synthesize,
  synthesizeLlm,
  triggerSpec,
} from '../coord/synthesis/index.js';
import { forwardWrite } from '../ingest/index.js';
import { Room } from '../room.js';
import type { ServerContext } from './app.js';
import { handleOf, objectBody } from './request.js';

type RoomParams = { room: string };

/**
 * POST /rooms/:room/synthesize, GET /rooms/:room/catchup, GET|PUT|DELETE /rooms/:room/trigger
 * (issue 17): thin calls into src/coord/synthesis. Triggers themselves run in the daemon the
 * server is linked to, which sees every write.
 */
export function registerSynthesisRoutes(app: FastifyInstance, { home, openRoom }: ServerContext, env: Record<string, string | undefined> = {}): void {
  app.post<{ Params: RoomParams }>('/rooms/:room/synthesize', async (request, reply) => {
    const room = await openRoom(request.params.room);
    const body = request.body === undefined || request.body === null || request.body === '' ? {} : objectBody(request.body);
    const useLlm = synthesizeLlm(body.llm);
    const llm = useLlm === false ? undefined : llmForHome(home, env);
    const result = await synthesize(room, { handle: handleOf(request), llm, useLlm });
    return reply.code(201).send({ room: room.name, ...result });
  });

  app.get<{ Params: RoomParams; Querystring: Record<string, string> }>('/rooms/:room/catchup', async (request) => {
    const room = await openRoom(request.params.room);
    return catchup(room, { limit: catchupLimit(request.query.limit) });
  });

  app.get<{ Params: RoomParams }>('/rooms/:room/trigger', async (request) => {
    const room = await openRoom(request.params.room);
    const trigger = await readTrigger(room);
    return { room: room.name, trigger: trigger ? formatTrigger(trigger) : null, pending: await pendingChanges(room) };
  });

  app.put<{ Params: RoomParams }>('/rooms/:room/trigger', async (request) => {
    const room = await openRoom(request.params.room);
    const trigger = triggerSpec(objectBody(request.body).trigger);
    await setTrigger(room, trigger, handleOf(request));
    return { room: room.name, trigger: formatTrigger(trigger) };
  });

  app.delete<{ Params: RoomParams }>('/rooms/:room/trigger', async (request) => {
    const room = await openRoom(request.params.room);
    return { room: room.name, cleared: await clearTrigger(room, handleOf(request)) };
  });
}

/**
 * A deliberate HTTP memory write goes to the knowledge-ingest outbox (when configured); the
 * server's daemon delivers it. A forwarder problem never fails the write that already happened.
 */
export async function forwardHttpWrite(home: string, room: string, key: string, value: unknown, by: string, kind: 'memory' | 'message' = 'memory'): Promise<void> {
  const content = typeof value === 'string' ? value : JSON.stringify(value);
  await forwardWrite(home, process.env, { kind, room, key, content, by }).catch(() => undefined);
}
