import { copyFile, mkdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Room } from '../src/room.js';
import { messageIndexPath, messageRows, rebuildMessageIndex } from '../src/coord/messages/index-cache.js';
import { listMessages, readInbox } from '../src/coord/messages/inbox.js';
import { sendMessage } from '../src/coord/messages/store.js';
import { homeWithRoom } from './helpers.js';

const day = new Date('2026-03-01T10:00:00.000Z');
const hourAgo = new Date(Date.now() - 3600_000);

describe('messages index (a cache rebuilt from the files)', () => {
  it('is built from the files, trusts a settled day folder, and re-lists one whose folder changed', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    let t = day.getTime();
    const sent = [];
    for (const text of ['@bob one', '@cy two', 'three']) sent.push(await sendMessage(room, { from: 'ana', text }, () => new Date(t++)));
    const folder = dirname(room.pathOf(sent[0].key));
    await utimes(folder, hourAgo, hourAgo);
    const rows = await messageRows(room);
    expect(rows.map((r) => [r.id, r.from, r.mentions])).toEqual(sent.map((m) => [m.id, 'ana', m.mentions]));
    expect(JSON.parse(await readFile(messageIndexPath(room.home, 'team'), 'utf8')).room).toBe('team');

    // A file slipped in with the folder's mtime put back: the settled day is trusted, not listed.
    const copy = join(folder, '100000.500Z-ana-zzzz.md');
    await copyFile(room.pathOf(sent[0].key), copy);
    await utimes(folder, hourAgo, hourAgo);
    expect(await messageRows(room)).toHaveLength(3);
    // The folder changes (as any real add does): the day is listed again and only the new file read.
    await utimes(folder, new Date(), new Date());
    expect((await messageRows(room)).map((r) => r.id)).toContain('2026-03-01T100000.500Z-ana-zzzz');

    // A deleted file is dropped with a warning naming it.
    await rm(copy);
    const warnings: string[] = [];
    expect(await messageRows(room, warnings)).toHaveLength(3);
    expect(warnings).toEqual([expect.stringContaining('100000.500Z-ana-zzzz.md: message deleted after it was sent')]);
  });

  it('a corrupt or foreign cache file is rebuilt; rebuild counts the messages; listing and inbox agree with the files', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    let t = day.getTime();
    for (let i = 0; i < 30; i++) await sendMessage(room, { from: i % 2 ? 'ana' : 'bob', text: `@cy message ${i}` }, () => new Date(t++));
    await messageRows(room);
    await writeFile(messageIndexPath(room.home, 'team'), '{"version":1,"room":"team","days":');
    expect(await messageRows(room)).toHaveLength(30);
    await writeFile(messageIndexPath(room.home, 'team'), JSON.stringify({ version: 1, room: 'other', days: { '2026-03-01': { mtimeMs: 0, scannedAt: 0, rows: [] } } }));
    expect(await messageRows(room)).toHaveLength(30);
    expect(await rebuildMessageIndex(room)).toBe(30);
    const newest = await listMessages(room, { from: 'ana', limit: 3 });
    expect(newest.map((m) => m.text)).toEqual(['@cy message 25', '@cy message 27', '@cy message 29']);
    expect((await readInbox(room, 'cy', { limit: 5 })).map((m) => m.text)).toEqual([0, 1, 2, 3, 4].map((i) => `@cy message ${i}`));
    expect(await readInbox(room, 'cy')).toHaveLength(25);
  });

  it('indexes only regular files named as messages: no links (to a file or a day folder), no scratch or hidden names', async () => {
    const room = await Room.open(homeWithRoom(), 'team');
    const sent = await sendMessage(room, { from: 'ana', text: '@bob real' }, () => day);
    const folder = dirname(room.pathOf(sent.key));
    const outside = join(room.home, 'outside');
    await mkdir(outside, { recursive: true });
    await copyFile(room.pathOf(sent.key), join(outside, '100000.000Z-eve-aaaa.md'));
    await symlink(join(outside, '100000.000Z-eve-aaaa.md'), join(folder, '100000.000Z-eve-bbbb.md'));
    await copyFile(room.pathOf(sent.key), join(folder, '.100000.000Z-eve-cccc.md'));
    await copyFile(room.pathOf(sent.key), join(folder, '100000.000Z-eve-dddd.md~'));
    await mkdir(join(folder, '100000.000Z-eve-eeee.md'));
    await symlink(outside, join(room.dir, 'messages', '2026-03-02'));
    await rebuildMessageIndex(room);
    expect((await messageRows(room)).map((r) => r.id)).toEqual([sent.id]);
  });
});
