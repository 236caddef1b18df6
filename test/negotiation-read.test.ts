import { readFile, rm, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SessionCorruptError } from '../src/errors.js';
import { Room } from '../src/room.js';
import { positionKey, replyKey } from '../src/coord/negotiation/format.js';
import { planTasksPort } from '../src/coord/negotiation/plan-tasks.js';
import { parseOpen } from '../src/coord/negotiation/schema.js';
import { joinSession, loadSession, openNegotiation, replyToRound } from '../src/coord/negotiation/store.js';
import { homeWithRoom } from './helpers.js';

/**
 * A look reads a session incrementally (session-read.ts): positions and replies this process decoded
 * before are kept and checked by lstat. What a look sees must still be what is on disk: a file
 * edited by hand or replaced is read again, a broken one is refused, a removed one is gone.
 */
const deps = { plan: planTasksPort };

async function session() {
  const room = await Room.open(homeWithRoom(), 'team');
  const open = await openNegotiation(room, 'lead', parseOpen({ issue: ['api=rest,graphql', 'db=postgres,sqlite'], participants: 'ana,bob', rounds: 5 }), deps);
  await joinSession(room, 'ana', { message: 'first words', prefer: { api: ['rest', 'graphql'] }, weight: {}, limits: {} }, deps);
  await joinSession(room, 'bob', { message: '', prefer: { api: ['graphql', 'rest'] }, weight: {}, limits: {} }, deps);
  return { room, id: open.id };
}

describe('reading a session incrementally', () => {
  it('a position edited by hand in place is read again; a broken one is refused, naming the file', async () => {
    const { room, id } = await session();
    const first = await loadSession(room, id);
    expect(first.positions.find((p) => p.handle === 'ana')?.message).toBe('first words');
    const path = room.pathOf(positionKey(id, 'ana'));
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('first words', 'second thoughts, longer')); // in place: same inode
    expect((await loadSession(room, id)).positions.find((p) => p.handle === 'ana')?.message).toBe('second thoughts, longer');
    await writeFile(path, text.replace('"message"', '"mess"'));
    await expect(loadSession(room, id)).rejects.toThrow(SessionCorruptError);
    await expect(loadSession(room, id)).rejects.toThrow(/positions\/ana\.md/);
  });

  it("only the current round's replies count; a removed reply is gone from the next look", async () => {
    const { room, id } = await session();
    await replyToRound(room, 'ana', { action: 'reject' }, deps);
    await replyToRound(room, 'bob', { action: 'reject' }, deps); // round 1 closes
    const round2 = await loadSession(room, id);
    expect(round2.session.round).toBe(2);
    expect(round2.replies).toEqual([]);
    await replyToRound(room, 'ana', { action: 'accept' }, deps);
    expect((await loadSession(room, id)).replies.map((r) => r.handle)).toEqual(['ana']);
    await rm(room.pathOf(replyKey(id, 2, 'ana')));
    expect((await loadSession(room, id)).replies).toEqual([]);
    // A broken reply of an earlier round is not read: a look needs the current round only.
    await writeFile(room.pathOf(replyKey(id, 1, 'bob')), 'not a reply');
    expect((await loadSession(room, id)).session.round).toBe(2);
  });
});
