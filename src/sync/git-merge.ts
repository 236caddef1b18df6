import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { isPlanFile, mergePlanFiles } from '../coord/plan/merge.js';
import { SyncFailedError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { conflictCopy, conflictPath } from './conflict.js';
import { abortInProgress, gitReason, midOperation } from './git-repo.js';
import type { ConflictRecord } from './report.js';

/** The index stages of one unmerged path: 1 base, 2 ours (local), 3 theirs (remote); blob ids. */
type Stages = Partial<Record<1 | 2 | 3, string>>;

/**
 * Merges the remote branch into the room. Both sides of every conflict are kept: the remote version
 * stays at the key, the local one becomes a sibling memory with `conflict_of`; an edit always wins
 * over a delete. Any failure aborts the merge, so the room is never left mid-merge.
 */
export async function mergeRemote(git: SimpleGit, dir: string, ref: string, handle: string): Promise<ConflictRecord[]> {
  let failure: unknown;
  try {
    await git.raw(['merge', '--no-edit', '-q', ref]);
  } catch (err) {
    failure = err;
  }
  try {
    const unmerged = await unmergedPaths(git);
    if (unmerged.size === 0) {
      if (failure || midOperation(dir)) throw failure ?? new Error('merge stopped without conflicts');
      return [];
    }
    const conflicts: ConflictRecord[] = [];
    const touched: string[] = [];
    for (const [path, stages] of unmerged) {
      const kept = await keepBoth(git, dir, path, stages, handle);
      touched.push(...kept.paths);
      if (kept.conflict) conflicts.push(kept.conflict);
    }
    await git.raw(['add', '-A', '--', ...touched]);
    const listed = conflicts.map((c) => `${c.key} -> ${c.conflict_key}`);
    const message = `mycelium sync by ${handle}: merge ${ref}${listed.length ? `; both sides kept: ${listed.join(', ')}` : ''}`;
    await git.raw(['commit', '-q', '--no-verify', '-m', message]);
    return conflicts;
  } catch (err) {
    await abortInProgress(git, dir);
    throw new SyncFailedError(
      `cannot merge ${ref} (${gitReason(err)}); the merge was aborted and the room is as it was, your changes are committed locally; fix the cause and run \`mycelium sync\` again`,
    );
  }
}

/** Paths git could not merge, with the blob of each stage. */
async function unmergedPaths(git: SimpleGit): Promise<Map<string, Stages>> {
  const out = await git.raw(['ls-files', '-u', '-z']);
  const paths = new Map<string, Stages>();
  for (const entry of out.split('\0')) {
    const match = /^\d+ ([0-9a-f]+) ([123])\t(.+)$/s.exec(entry);
    if (!match) continue;
    const stages = paths.get(match[3]) ?? {};
    stages[Number(match[2]) as 1 | 2 | 3] = match[1];
    paths.set(match[3], stages);
  }
  return paths;
}

async function blob(git: SimpleGit, id: string): Promise<Buffer> {
  return (await git.binaryCatFile(['blob', id])) as Buffer;
}

/** Resolves one path so that nothing is lost; returns the paths written and the conflict, if any. */
async function keepBoth(
  git: SimpleGit,
  dir: string,
  path: string,
  stages: Stages,
  handle: string,
): Promise<{ paths: string[]; conflict?: ConflictRecord }> {
  const ours = stages[2];
  const theirs = stages[3];
  if (!ours || !theirs) {
    // Deleted on one side, edited on the other: the edit stays.
    await writeFileAtomic(join(dir, path), await blob(git, (ours ?? theirs)!));
    return { paths: [path] };
  }
  const local = await blob(git, ours);
  if (isPlanFile(path)) {
    // The plan merges task by task (issue 13): never a conflict copy.
    const base = stages[1] ? (await blob(git, stages[1])).toString('utf8') : undefined;
    const merged = mergePlanFiles(base, local.toString('utf8'), (await blob(git, theirs)).toString('utf8'));
    if (merged !== undefined) {
      await writeFileAtomic(join(dir, path), merged);
      return { paths: [path] };
    }
  }
  const sibling = conflictPath(path, handle, ours);
  const isMemory = path.endsWith('.md');
  await writeFileAtomic(join(dir, path), await blob(git, theirs));
  await writeFileAtomic(join(dir, sibling), isMemory ? conflictCopy(local, path.slice(0, -3), sibling.slice(0, -3)) : local);
  const conflict = isMemory ? { key: path.slice(0, -3), conflict_key: sibling.slice(0, -3) } : { key: path, conflict_key: sibling };
  return { paths: [path, sibling], conflict };
}
