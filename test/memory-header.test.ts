import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMemoryFile, readHeader } from '../src/codec.js';
import { Room } from '../src/room.js';
import { DEFAULT_CHUNKING } from '../src/search/chunk.js';
import { indexText } from '../src/search/memory-text.js';
import { feedPage } from '../src/server/feed.js';
import { RoomState } from '../src/watch/room-state.js';
import { homeWithRoom } from './helpers.js';

describe('readHeader: one meaning for a frontmatter', () => {
  it('coerces each field one way', () => {
    expect(readHeader({})).toEqual({
      version: 0, tags: [], format: 'text', created_by: null, created_at: null, updated_by: null, updated_at: null, extra: {},
    });
    expect(readHeader({ version: -3 }).version).toBe(0);
    expect(readHeader({ version: 2.5 }).version).toBe(0);
    expect(readHeader({ version: '4' }).version).toBe(0);
    expect(readHeader({ version: 7 }).version).toBe(7);
    expect(readHeader({ tags: 'solo' }).tags).toEqual(['solo']);
    expect(readHeader({ tags: ['a', 7, true, null, { x: 1 }, ['y']] }).tags).toEqual(['a', '7', 'true']);
    expect(readHeader({ format: 'json' }).format).toBe('json');
    expect(readHeader({ format: 'yaml' }).format).toBe('text');
    expect(readHeader({ updated_by: '', created_by: 5 })).toMatchObject({ updated_by: null, created_by: null });
    expect(readHeader({ key: 'k', holder: 'ana', version: 1 }).extra).toEqual({ holder: 'ana' });
  });

  it('the room, the index, the watcher and the change feed read a hand-written file the same way', async () => {
    const home = homeWithRoom();
    const room = await Room.open(home, 'team');
    const path = join(room.dir, 'odd.md');
    writeFileSync(path, '---\nversion: -3\ntags: [a, 7, {x: 1}, null]\nupdated_by: ""\nnote: kept\n---\nbody text\n');

    const memory = await room.get('odd');
    const info = statSync(path);
    const indexed = indexText('odd', readFileSync(path, 'utf8'), { mtimeMs: info.mtimeMs, size: info.size }, 'h', DEFAULT_CHUNKING);
    const state = new RoomState('team', room.dir);
    await state.reconcile();
    const feed = await feedPage(home, room, '0', 10, false);
    const header = readHeader(parseMemoryFile(readFileSync(path, 'utf8')).meta);

    expect(header).toMatchObject({ version: 0, tags: ['a', '7'], updated_by: null, extra: { note: 'kept' } });
    expect(memory).toMatchObject({ version: 0, tags: ['a', '7'], updated_by: null, extra: { note: 'kept' } });
    expect(indexed.entry).toMatchObject({ version: 0, tags: ['a', '7'], updated_by: null });
    expect(state.files.get('odd')?.version).toBe(0);
    expect(feed.changes.find((c) => c.key === 'odd')).toMatchObject({ version: 0, by: null });
  });
});
