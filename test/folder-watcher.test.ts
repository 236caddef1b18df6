import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FolderWatcher } from '../src/folder-watcher.js';
import { waitFor } from './daemon-helpers.js';
import { tempDir } from './helpers.js';

const open: FolderWatcher[] = [];
afterEach(() => {
  while (open.length > 0) open.pop()!.close();
});

function watchWithLog(root: string, followLinksAtDepth = 0) {
  const log: string[] = [];
  const watcher = FolderWatcher.start(
    root,
    {
      onEntry: (rel) => log.push(`entry ${rel}`),
      onFolderAdded: (rel) => log.push(`added ${rel}`),
      onFolderGone: (rel) => log.push(`gone ${rel}`),
      onError: (err) => log.push(`error ${err.message}`),
    },
    { ignored: (rel) => rel.split('/').some((p) => p.startsWith('.')), followLinksAtDepth },
  );
  open.push(watcher);
  return { log, watcher };
}

describe('a watch per folder', () => {
  it('names files written, created and removed in any folder, and folders made, renamed and removed', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'a', 'b', 'x.md'), '1');
    const { log, watcher } = watchWithLog(root);
    expect(watcher.folders).toBe(3);

    writeFileSync(join(root, 'a', 'b', 'x.md'), '2'); // in place
    await waitFor(() => log.includes('entry a/b/x.md'), 10_000, 'the edit');
    mkdirSync(join(root, 'new'));
    writeFileSync(join(root, 'new', 'y.md'), 'y'); // may land before the new folder's watch: the folder is reported
    await waitFor(() => log.includes('added new'), 10_000, 'the new folder');
    await waitFor(() => watcher.folders === 4, 10_000, 'the new folder watched');
    writeFileSync(join(root, 'new', 'z.md'), 'z');
    await waitFor(() => log.includes('entry new/z.md'), 10_000, 'a file in the new folder');
    renameSync(join(root, 'a'), join(root, 'moved'));
    await waitFor(() => log.includes('gone a') && log.includes('added moved'), 10_000, 'the rename');
    expect(watcher.folders).toBe(4); // moved, moved/b, new, and the root
    rmSync(join(root, 'new'), { recursive: true });
    await waitFor(() => log.includes('gone new'), 10_000, 'the removal');
    writeFileSync(join(root, '.hidden.md'), 'h');
    writeFileSync(join(root, 'seen.md'), 's');
    await waitFor(() => log.includes('entry seen.md'), 10_000, 'a file after a hidden one');
    expect(log.filter((l) => l.includes('.hidden'))).toEqual([]);
  });

  it('follows a symlinked folder only at the depths it is told to', async () => {
    const root = tempDir();
    const elsewhere = tempDir();
    mkdirSync(join(elsewhere, 'inner'));
    mkdirSync(join(root, 'room'));
    symlinkSync(elsewhere, join(root, 'linked'));
    symlinkSync(elsewhere, join(root, 'room', 'nested-link'));
    const { log, watcher } = watchWithLog(root, 1);
    expect(watcher.folders).toBe(4); // root, room, linked, linked/inner; room/nested-link is not followed
    writeFileSync(join(elsewhere, 'inner', 'n.md'), 'n');
    await waitFor(() => log.includes('entry linked/inner/n.md'), 10_000, 'a file in the linked folder');
    expect(log.some((l) => l.includes('nested-link/'))).toBe(false);
  });
});
