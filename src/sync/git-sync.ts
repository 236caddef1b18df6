import { relative } from 'node:path';
import type { SimpleGit } from 'simple-git';
import type { Message } from '../coord/messages/format.js';
import { RemoteUnreachableError, SyncFailedError } from '../errors.js';
import { withLock } from '../lock.js';
import type { Room } from '../room.js';
import type { Env } from '../settings.js';
import { mergeRemote } from './git-merge.js';
import {
  abortInProgress,
  configureRepo,
  currentBranch,
  diffKeys,
  gitReason,
  headCommit,
  midOperation,
  openGit,
  parseNameStatus,
  refCommit,
} from './git-repo.js';
import type { ConflictRecord, KeyChange, SyncReport } from './report.js';

/** Pushes that lose a race with another pusher are retried after a fresh fetch and merge. */
const PUSH_ATTEMPTS = 3;

/**
 * Syncs a git room: commit local changes, fetch, merge (keeping both sides of every conflict), push.
 * One sync per room at a time; a failure never leaves the room mid-merge and loses nothing.
 */
export async function syncGitRoom(room: Room, handle: string, env: Env): Promise<SyncReport> {
  return withLock(room.home, `sync/${room.name}`, async () => {
    const git = await openGit(room.dir, handle, env);
    // A sync killed mid-merge left its merge behind: abort it (local changes were committed before
    // the merge began, so nothing is lost) and do the merge again below.
    if (midOperation(room.dir)) await abortInProgress(git, room.dir);
    const remote = await originUrl(git, room.name);
    await configureRepo(room.dir, env);
    const committed = await commitLocal(git, handle);
    const branch = await currentBranch(git);
    const incoming: KeyChange[] = [];
    const conflicts: ConflictRecord[] = [];
    for (let attempt = 1; ; attempt++) {
      await fetchRemote(git, remote);
      const remoteHead = await refCommit(git, `refs/remotes/origin/${branch}`);
      const before = await headCommit(git);
      if (remoteHead && !before) await git.raw(['reset', '-q', '--hard', remoteHead]); // an empty clone: just take theirs
      else if (remoteHead) conflicts.push(...(await mergeRemote(git, room.dir, `origin/${branch}`, handle)));
      const merged = await headCommit(git);
      // What came in: the remote's changes, not the conflict copies of our own versions.
      const copies = new Set(conflicts.map((c) => c.conflict_key));
      if (merged) incoming.push(...(await diffKeys(git, before, merged)).filter((c) => !copies.has(c.key)));
      // All that came in so far, not this attempt's alone: a notice dropped after a lost push race
      // is decided again even when the next fetch brings nothing new.
      const notices = await commitClashNotices(git, room, handle, incoming);
      const after = await headCommit(git);
      const report = { room: room.name, via: 'git' as const, remote, committed, incoming, conflicts };
      if (!after || after === remoteHead) return { ...report, outgoing: [] };
      const outgoing = await diffKeys(git, remoteHead, after);
      if (await pushed(git, remote, branch)) {
        if (notices.length > 0) await (await import('../coord/clash-notices.js')).markTold(room, notices).catch(() => {}); // a marker only spares a search next time
        return { ...report, outgoing };
      }
      if (attempt === PUSH_ATTEMPTS) {
        // Notices stay committed here and go out with the next sync (that sync may not see the claims come in again).
        throw new SyncFailedError(
          `the remote ${remote} kept changing while pushing (${attempt} tries); your changes are committed locally, run \`mycelium sync\` again`,
        );
      }
      // Lost a push race: what the other push carried may tell the same clash. Drop our notices (never
      // pushed; nothing else is in their commit; --keep leaves every other file alone) and decide again
      // after the next merge. Should the drop fail, they stay: told twice at worst.
      if (notices.length > 0) await git.raw(['reset', '-q', '--keep', 'HEAD~1']).catch(() => {});
    }
  });
}

/**
 * A merge that brought in claims or plan changes may have brought two claims together: the loser of
 * each clash no home has told yet gets its notice here, committed on its own so it goes out with
 * this push (coord/clash-notices.ts). Every home that fetches the clash then fetches its notice, so
 * no one tells it twice. A failure to tell never fails the sync: `claims` and the digest tell later.
 */
async function commitClashNotices(git: SimpleGit, room: Room, handle: string, arrived: KeyChange[]): Promise<Message[]> {
  if (arrived.length === 0) return [];
  const notices = await import('../coord/clash-notices.js'); // loaded only when something came in
  if (!arrived.some((c) => notices.mayBringClash(c.key))) return [];
  try {
    const sent = await notices.tellClashes(room, undefined, { deferMarks: true });
    if (sent.length === 0) return [];
    const paths = sent.map((m) => relative(room.dir, room.pathOf(m.key)));
    await git.raw(['add', '--', ...paths]);
    const told = sent.map((m) => `@${m.to.join(', @')} (${m.ref})`).join(', ');
    await git.raw(['commit', '-q', '--no-verify', '-m', `mycelium sync by ${handle}: clash notice to ${told}`, '--', ...paths]);
    return sent;
  } catch {
    return [];
  }
}

async function originUrl(git: SimpleGit, room: string): Promise<string> {
  try {
    return (await git.raw(['remote', 'get-url', 'origin'])).trim();
  } catch {
    throw new SyncFailedError(`room '${room}' has no git remote; add one with \`mycelium room remote ${room} URL\``);
  }
}

/** Commits every local change; the message names the handle and the keys. */
async function commitLocal(git: SimpleGit, handle: string): Promise<string[]> {
  await git.raw(['add', '-A']);
  const staged = await git.raw(['diff', '--cached', '--name-status', '--no-renames', '-z']);
  if (staged.trim() === '') return [];
  const changes = parseNameStatus(staged);
  const summary = (verb: string, keys: string[]) =>
    keys.length === 0 ? [] : [`${verb} ${keys.slice(0, 10).join(', ')}${keys.length > 10 ? ` (+${keys.length - 10} more)` : ''}`];
  const set = changes.filter((c) => c.type !== 'deleted').map((c) => c.key);
  const removed = changes.filter((c) => c.type === 'deleted').map((c) => c.key);
  const title = [...summary('set', set), ...summary('rm', removed)].join('; ') || 'other files';
  const body = changes.map((c) => `${c.type} ${c.key}`).join('\n');
  await git.raw(['commit', '-q', '--no-verify', '-m', `mycelium sync by ${handle}: ${title}`, ...(body ? ['-m', body] : [])]);
  return changes.map((c) => c.key);
}

async function fetchRemote(git: SimpleGit, remote: string): Promise<void> {
  try {
    await git.raw(['fetch', '-q', 'origin']);
  } catch (err) {
    throw unreachable(remote, err);
  }
}

/** Pushes HEAD to the remote branch; false when the remote moved on since the fetch. */
async function pushed(git: SimpleGit, remote: string, branch: string): Promise<boolean> {
  try {
    await git.raw(['push', '-q', 'origin', `HEAD:refs/heads/${branch}`]);
    await git.raw(['branch', '-q', '--set-upstream-to', `origin/${branch}`]).catch(() => {});
    return true;
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (/rejected|non-fast-forward|fetch first/.test(text)) return false;
    throw unreachable(remote, err);
  }
}

function unreachable(remote: string, err: unknown): RemoteUnreachableError {
  return new RemoteUnreachableError(
    `cannot reach ${remote} (${gitReason(err)}); check the address or your network and run \`mycelium sync\` again; local changes are committed in the room, nothing was lost`,
  );
}
