import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scopeOverlap, normalizeClaimPaths } from '../../src/coord/claims/scope.js';
import { listClaims, releaseClaim } from '../../src/coord/claims/store.js';
import { InvalidInputError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/fs-atomic.js';
import { cliPath } from './claims-paths.js';
import { openRoom } from '../context.js';
import { printJson, printLine, type CommonOptions } from '../output.js';

function git(cwd: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const reason = ((err as { stderr?: string }).stderr ?? (err as Error).message).split('\n')[0];
    throw new InvalidInputError(`git ${args[0]} failed in ${cwd} (${reason}); run this inside a git repository`);
  }
}

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** The working tree's changes, relative to its top: staged, unstaged and untracked. */
export function changedPaths(cwd: string): string[] {
  const top = git(cwd, ['rev-parse', '--show-toplevel']).trim();
  const hasHead = (() => {
    try {
      execFileSync('git', ['rev-parse', '--verify', '-q', 'HEAD'], { cwd: top, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const tracked = hasHead ? lines(git(top, ['diff', '--name-only', 'HEAD'])) : [];
  const staged = lines(git(top, ['diff', '--name-only', '--cached']));
  const untracked = lines(git(top, ['ls-files', '--others', '--exclude-standard']));
  return [...new Set([...tracked, ...staged, ...untracked])];
}

const MARK = '# mycelium claims hook';

/** `claim git-hook install`: a pre-commit hook running `claims check --diff`, a post-commit hook releasing claims the commit touched. */
export async function gitHookInstall(options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  const gitDir = git(process.cwd(), ['rev-parse', '--absolute-git-dir']).trim();
  const run = (args: string) => `"${process.execPath}" "${cliPath}" ${args} --room ${room.name} --handle ${context.handle}`;
  const hooks = {
    'pre-commit': `${MARK}: refuse a commit touching files someone else has claimed\n${run('claims check --diff')} || exit $?\n`,
    'post-commit': `${MARK}: release my claims whose paths this commit touched\n${run('claim release-committed')} || true\n`,
  };
  const written: string[] = [];
  for (const [name, block] of Object.entries(hooks)) {
    const path = join(gitDir, 'hooks', name);
    const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (existing.includes(MARK)) continue;
    await writeFileAtomic(path, existing ? `${existing.replace(/\n?$/, '\n')}${block}` : `#!/bin/sh\n${block}`);
    execFileSync('chmod', ['+x', path]);
    written.push(path);
  }
  if (options.json) return printJson({ installed: written });
  printLine(written.length ? `installed ${written.join(', ')}` : 'hooks already installed');
}

/** `claim release-committed` (the post-commit hook): releases my claims whose paths HEAD touched. */
export async function releaseCommitted(options: CommonOptions): Promise<void> {
  const { context, room } = await openRoom(options);
  // One path at a time: a big commit must not widen to the whole tree and release unrelated claims.
  const touched = lines(git(process.cwd(), ['diff-tree', '--no-commit-id', '--name-only', '-r', '--root', 'HEAD'])).map((p) => normalizeClaimPaths([p])[0]);
  const { claims } = await listClaims(room, { holder: context.handle });
  const released: string[] = [];
  for (const claim of claims) {
    if (!scopeOverlap(claim.paths, touched)) continue;
    await releaseClaim(room, context.handle, claim.id);
    released.push(claim.id);
  }
  if (options.json) return printJson({ released });
  if (released.length) printLine(`released ${released.join(', ')}`);
}
