import type { Command } from 'commander';
import { CLAIM, TOKEN_FLAG } from './verb-spec.js';
import { action, common, specCommand } from './wiring.js';

/** `claim`, `release`, `claims` and their subcommands (issue 13): file-scope leases. */
export function registerClaims(program: Command): void {
  const load = async () => import('./commands/claims.js');
  const token = (c: Command) => c.option(TOKEN_FLAG.flags, TOKEN_FLAG.description);
  const claim = specCommand(program, CLAIM).action(action(async () => (await load()).claim));
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
