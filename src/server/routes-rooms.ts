import type { FastifyInstance } from 'fastify';
import { InvalidInputError } from '../errors.js';
import { createRoom, listRooms } from '../rooms.js';
import type { ServerContext } from './app.js';
import { objectBody } from './request.js';

/** GET /rooms and POST /rooms. Filesystem paths are never shown to HTTP clients. */
export function registerRoomRoutes(app: FastifyInstance, { home }: ServerContext): void {
  app.get('/rooms', async () => ({
    rooms: (await listRooms(home)).map(({ name, memories, last_change }) => ({ name, memories, last_change })),
  }));

  app.post('/rooms', async (request, reply) => {
    const { name } = objectBody(request.body);
    if (typeof name !== 'string') throw new InvalidInputError("the body needs a room 'name'");
    const { room } = await createRoom(home, name);
    return reply.code(201).send({ room: room.name });
  });
}
