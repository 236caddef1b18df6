import type { Command } from 'commander';
import { action, common } from './wiring.js';

/** `claim`, `release`, `claims` and their subcommands (issue 13): file-scope leases. */
export function registerClaims(program: Command): void {
  const load = async () => import('./commands/claims.js');
  const token = (c: Command) => c.option('--token <token>', 'server token for a room cloned from a server (default: MYCELIUM_TOKEN)');
  const claim = token(
    common(program.command('claim').argument('[paths...]', 'files or folders, relative to the repository (none: the whole tree)')),
  )
    .description('lease paths so no one else edits them (exit 3 naming the holder if they are taken)')
    .option('--task <id>', 'the plan task this work is for (its last checkpoint passes to you)')
    .option('--ttl <duration>', 'how long the lease lasts: 90s, 30m, 2h, 7d (30 s … 30 days, default 30m)')
    .option('--worktree <name>', 'the worktree it applies to (different worktrees never conflict)')
    .option('--checkpoint <text>', 'where the work stands; survives expiry for the next claimant of the task')
    .action(action(async () => (await load()).claim));
  token(common(claim.command('renew').argument('<id>', 'claim id').description('extend a claim (rewritten once half its TTL has passed)')))
    .option('--epoch <n>', 'refuse unless the claim is still at this epoch')
    .option('--ttl <duration>', 'a new TTL')
    .option('--checkpoint <text>', 'a new checkpoint')
    .action(action(async () => (await load()).claimRenew));
  token(common(claim.command('handoff').argument('<id>', 'claim id').argument('<handle>', 'who takes it').description('give a claim to another agent in one step')))
    .option('--epoch <n>', 'refuse unless the claim is still at this epoch')
    .action(action(async () => (await load()).claimHandoff));
  const hook = claim.command('git-hook').description('git hooks for a code repository');
  common(hook.command('install').description('pre-commit: claims check --diff; post-commit: release my claims the commit touched'))
    .action(action(async () => (await import('./commands/claims-git.js')).gitHookInstall));
  common(claim.command('release-committed').description("release my claims whose paths HEAD touched (the post-commit hook's step)"))
    .action(action(async () => (await import('./commands/claims-git.js')).releaseCommitted));

  token(common(program.command('release').argument('[id]', 'claim id').description('release a claim of mine')))
    .option('--all', 'every claim I hold')
    .option('--epoch <n>', 'refuse unless the claim is still at this epoch')
    .action(action(async () => (await load()).release));

  const claims = token(common(program.command('claims').description('live claims: holder, epoch, expiry, paths; clashes after a git sync')))
    .option('--mine', 'only mine')
    .option('--all', 'expired ones too')
    .action(action(async () => (await load()).claims));
  token(common(claims.command('check').argument('[paths...]', 'paths to check').description('exit 3 if these paths touch a live claim held by someone else')))
    .option('--diff', "check my working tree's changes (staged, unstaged, untracked)")
    .option('--worktree <name>', 'the worktree I am in')
    .action(action(async () => (await load()).claimsCheck));
}
