import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contentHash } from '../src/content-hash.js';
import { createRoom } from '../src/rooms.js';
import { tempDir } from './helpers.js';

describe('Room.update and extra fields', () => {
  it('set writes extra frontmatter fields and returns the hash of the bytes it wrote', async () => {
    const { room } = await createRoom(tempDir(), 'team');
    const change = await room.set('agents/alice', 'I review', { handle: 'alice', fields: { role: 'reviewer', version: 99 } });
    const text = readFileSync(change.path, 'utf8');
    expect(change.hash).toBe(contentHash(text));
    const memory = await room.get('agents/alice');
    expect(memory.extra.role).toBe('reviewer');
    expect(memory.version).toBe(1); // a known field cannot be set through fields
    await room.set('agents/alice', 'I review code', { handle: 'alice', fields: { role: undefined } });
    expect((await room.get('agents/alice')).extra.role).toBeUndefined();
  });

  it('update re-reads under the lock, so concurrent updates lose nothing', async () => {
    const { room } = await createRoom(tempDir(), 'team');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        room.update('plan/list', 'bob', (current) => ({ value: `${current ? String(current.value) : ''}line ${i}\n` })),
      ),
    );
    const lines = String((await room.get('plan/list')).value).trim().split('\n');
    expect(lines).toHaveLength(20);
    expect(new Set(lines).size).toBe(20);
    expect((await room.get('plan/list')).version).toBe(20);
  });

  it('update returning undefined writes nothing', async () => {
    const { room } = await createRoom(tempDir(), 'team');
    await room.set('a', 'x', { handle: 'bob' });
    expect(await room.update('a', 'bob', () => undefined)).toBeUndefined();
    expect((await room.get('a')).version).toBe(1);
  });

  it('remove reports a null hash', async () => {
    const { room } = await createRoom(tempDir(), 'team');
    await room.set('a', 'x', { handle: 'bob' });
    expect((await room.remove('a', 'bob')).hash).toBeNull();
  });
});
