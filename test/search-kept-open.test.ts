import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRoom } from '../src/rooms.js';
import { searchMemories } from '../src/daemon/client.js';
import { tempDir } from './helpers.js';

const keys = async (home: string, query: string) => (await searchMemories(home, 'team', query, { mode: 'bm25' }, true)).results.map((r) => r.key);

describe('an index kept open between searches (MCP/HTTP without a daemon)', () => {
  it('never answers stale for a change made just before the call: edits, new folders, deletions, renames', async () => {
    const home = tempDir();
    await createRoom(home, 'team');
    const dir = join(home, 'rooms', 'team');
    writeFileSync(join(dir, 'db.md'), '# Database\n\nWe chose PostgreSQL.\n');
    expect(await keys(home, 'postgresql')).toEqual(['db']);

    writeFileSync(join(dir, 'db.md'), '# Database\n\nWe moved to SQLite.\n'); // edited in place
    expect(await keys(home, 'sqlite')).toEqual(['db']);
    expect(await keys(home, 'postgresql')).toEqual([]);

    mkdirSync(join(dir, 'deep', 'er'), { recursive: true });
    writeFileSync(join(dir, 'deep', 'er', 'note.md'), 'kubernetes cluster notes\n'); // a new folder
    expect(await keys(home, 'kubernetes')).toEqual(['deep/er/note']);

    renameSync(join(dir, 'deep'), join(dir, 'moved')); // a folder renamed: its files' keys change
    expect(await keys(home, 'kubernetes')).toEqual(['moved/er/note']);

    rmSync(join(dir, 'db.md'));
    expect(await keys(home, 'sqlite')).toEqual([]);
  });
});
