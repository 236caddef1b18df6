import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { RemoteUnreachableError, SyncFailedError } from '../errors.js';
import { gitExcludePatterns } from '../keys.js';
import type { Env } from '../settings.js';
import { changeType, type KeyChange } from './report.js';

/** The tree of an empty commit: the base to diff against before a room's first commit. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * A git handle on a room that never prompts (no terminal, ssh in batch mode) and always has an
 * author: the configured git identity when there is one, else the mycelium handle.
 */
export async function openGit(dir: string, handle: string, env: Env): Promise<SimpleGit> {
  const probe = gitAt(dir, env);
  const name = await configValue(probe, 'user.name');
  const email = await configValue(probe, 'user.email');
  const config = [
    ...(name ? [] : [`user.name=${handle}`]),
    ...(email ? [] : [`user.email=${handle.replace(/[^A-Za-z0-9._-]+/g, '-')}@mycelium.invalid`]),
  ];
  return gitAt(dir, env, config);
}

/** The environment git runs with: the one the face handed down, made never to prompt (no terminal, ssh in batch mode). */
export function gitEnvironment(env: Env): Record<string, string | undefined> {
  return { ...env, GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes' };
}

/**
 * simple-git with the user's own environment (`env`, handed down by the face). Its guards against
 * environment variables such as GIT_CONFIG_GLOBAL or GIT_SSH_COMMAND protect against untrusted
 * input; here they come from the user running mycelium, so they are allowed. Arguments mycelium
 * builds never carry user-supplied options.
 */
function gitAt(dir: string | undefined, env: Env, config: string[] = []): SimpleGit {
  const unsafe = {
    allowUnsafeConfigPaths: true,
    allowUnsafeSshCommand: true,
    allowUnsafeAskPass: true,
    allowUnsafeConfigEnvCount: true,
    allowUnsafeEditor: true,
    allowUnsafePager: true,
    allowUnsafeGitProxy: true,
  };
  return simpleGit({ ...(dir ? { baseDir: dir } : {}), config, unsafe }).env(gitEnvironment(env));
}

async function configValue(git: SimpleGit, name: string): Promise<string> {
  try {
    return (await git.raw(['config', '--get', name])).trim();
  } catch {
    return '';
  }
}

/** The first line of a git error, without simple-git's noise, for one-line messages. */
export function gitReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n').map((l) => l.trim()).find((l) => /^(fatal|error):/.test(l)) ?? text.split('\n')[0];
  return line.replace(/^(fatal|error):\s*/, '').slice(0, 200);
}

/**
 * Whole-file merges for memories: two edits of one memory are a conflict that keeps both versions
 * (never a line-by-line blend of two frontmatters); temp and swap files are never committed.
 * Kept in .git/info so the room itself holds only markdown.
 */
export async function configureRepo(dir: string, env: Env): Promise<void> {
  // A symlink a peer commits must arrive as a plain file holding its target, never as a link a
  // later write could follow out of the room.
  await gitAt(dir, env).raw(['config', 'core.symlinks', 'false']);
  await mkdir(join(dir, '.git', 'info'), { recursive: true });
  await writeFile(join(dir, '.git', 'info', 'attributes'), '*.md -merge\n');
  await writeFile(join(dir, '.git', 'info', 'exclude'), gitExcludePatterns().join('\n') + '\n');
}

/** Clones a git remote into a new room folder (symlinks checked out as plain files); on failure the folder is removed. */
export async function cloneInto(url: string, dir: string, handle: string, env: Env): Promise<void> {
  try {
    await gitAt(undefined, env).raw(['clone', '--quiet', '--config', 'core.symlinks=false', '--', url, dir]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new RemoteUnreachableError(`cannot clone ${url} (${gitReason(err)}); check the URL and that you can reach it`);
  }
  await configureRepo(dir, env);
  const git = await openGit(dir, handle, env);
  if (!(await headCommit(git))) {
    // The remote's HEAD names a branch it does not have (e.g. a bare repo made with another default):
    // check out the branch it does have, if any.
    const branches = (await git.raw(['branch', '-r', '--format=%(refname:short)'])).split('\n').filter((b) => b && !b.endsWith('/HEAD'));
    const pick = branches.find((b) => b === 'origin/main') ?? branches[0];
    if (pick) await git.raw(['checkout', '-q', '-B', pick.replace(/^origin\//, ''), '--track', pick]);
  }
}

/** Turns a room into a git work tree: init, whole-file merge rules, a first commit, and `origin`. */
export async function initGitRoom(dir: string, url: string, handle: string, room: string, env: Env): Promise<void> {
  const git = await openGit(dir, handle, env);
  if (!existsSync(join(dir, '.git'))) await git.raw(['init', '-q', '-b', 'main']);
  await configureRepo(dir, env);
  if (!(await headCommit(git))) {
    await git.raw(['add', '-A']);
    await git.raw(['commit', '-q', '--no-verify', '--allow-empty', '-m', `mycelium: room ${room} by ${handle}`]);
  }
  const remotes = (await git.raw(['remote'])).split('\n');
  if (remotes.includes('origin')) await git.raw(['remote', 'set-url', 'origin', url]);
  else await git.raw(['remote', 'add', 'origin', url]);
}

/** The commit HEAD points at, or undefined before the first commit. */
export async function headCommit(git: SimpleGit): Promise<string | undefined> {
  try {
    return (await git.raw(['rev-parse', '--verify', '-q', 'HEAD^{commit}'])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The commit a ref points at, or undefined when it does not exist. */
export async function refCommit(git: SimpleGit, ref: string): Promise<string | undefined> {
  try {
    return (await git.raw(['rev-parse', '--verify', '-q', `${ref}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The branch checked out (also before the first commit). */
export async function currentBranch(git: SimpleGit): Promise<string> {
  const name = (await git.raw(['symbolic-ref', '--short', '-q', 'HEAD']).catch(() => '')).trim();
  if (!name) throw new SyncFailedError('the room is not on a branch (detached HEAD); check out a branch in the room and retry');
  return name;
}

/** Memory changes between two commits (or the empty tree), as keys. */
export async function diffKeys(git: SimpleGit, from: string | undefined, to: string): Promise<KeyChange[]> {
  if (from === to) return [];
  const out = await git.raw(['diff', '--name-status', '--no-renames', '-z', from ?? EMPTY_TREE, to]);
  return parseNameStatus(out);
}

/** Parses `--name-status -z` output into memory changes (non-markdown files are left out). */
export function parseNameStatus(out: string): KeyChange[] {
  const parts = out.split('\0').filter((p) => p.length > 0);
  const changes: KeyChange[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const path = parts[i + 1];
    if (path.endsWith('.md')) changes.push({ type: changeType(parts[i]), key: path.slice(0, -3) });
  }
  return changes;
}

/** True while a merge or rebase is in progress in the room. */
export function midOperation(dir: string): boolean {
  const gitDir = join(dir, '.git');
  return ['MERGE_HEAD', 'rebase-merge', 'rebase-apply', 'CHERRY_PICK_HEAD'].some((f) => existsSync(join(gitDir, f)));
}

/** Leaves no merge or rebase behind: aborts whatever is in progress. */
export async function abortInProgress(git: SimpleGit, dir: string): Promise<void> {
  const gitDir = join(dir, '.git');
  if (existsSync(join(gitDir, 'MERGE_HEAD'))) await git.raw(['merge', '--abort']).catch(() => git.raw(['reset', '-q', '--merge']));
  if (existsSync(join(gitDir, 'rebase-merge')) || existsSync(join(gitDir, 'rebase-apply'))) await git.raw(['rebase', '--abort']).catch(() => {});
  if (existsSync(join(gitDir, 'CHERRY_PICK_HEAD'))) await git.raw(['cherry-pick', '--abort']).catch(() => {});
}
