import { type Claim, type GrantResult, claimKey } from '../../src/coord/claims/store.js';
import { checkVerb, claimVerb, claimsVerb, handoffVerb, releaseVerb, renewVerb } from '../../src/coord/claims/verbs.js';
import { ClaimConflictError } from '../../src/errors.js';
import { openRoom } from '../context.js';
import { printJson, printLine, table, warn, type CommonOptions } from '../output.js';
import { existsSync } from 'node:fs';
import { syncStatePath } from '../../src/home-paths.js';
import type { RemoteClaims } from './claims-remote.js';

type Flags = CommonOptions & { token?: string; epoch?: string; ttl?: string; worktree?: string; task?: string; checkpoint?: string };

/** The room and, for a room cloned from a server, the server client (the authority for its claims). */
async function target(options: Flags) {
  const { context, room } = await openRoom(options);
  // Only a room cloned from a server has a sync state; the HTTP client is loaded only for one.
  const token = options.token ?? process.env.MYCELIUM_TOKEN;
  const remote: RemoteClaims | undefined = existsSync(syncStatePath(context.home, room.name))
    ? await (await import('./claims-remote.js')).remoteClaims(context.home, room.name, token)
    : undefined;
  /** After the server granted, renewed or handed off a claim: its file into this clone at once (sync/http-adopt.ts). */
  const adopt = async (claim: Claim) => {
    const { adoptServerFile } = await import('../../src/sync/http-adopt.js');
    const taken = await adoptServerFile(room, claimKey(claim.id), context.handle, { token }).catch(() => false);
    if (!taken) warn([`note: claim ${claim.id} is made on the server; it reaches this room's files with the next \`mycelium sync\``]);
  };
  return { handle: context.handle, room, remote, adopt };
}

function describe(c: Claim): string[] {
  const until = c.live ? `until ${c.expires_at.slice(0, 19)}Z` : `expired ${c.expires_at.slice(0, 19)}Z`;
  const notes = [c.task ? `task ${c.task}` : '', c.worktree ? `worktree ${c.worktree}` : '', c.clash ? `CLASH: lost to ${c.clash.claim} @${c.clash.holder}` : '']
    .filter(Boolean)
    .join(', ');
  return [c.id, `@${c.holder}`, `epoch ${c.epoch}`, until, c.paths.join(', ') + (notes ? `  (${notes})` : '')];
}

export async function claim(paths: string[], options: Flags): Promise<void> {
  const { handle, room, remote, adopt } = await target(options);
  const input = { paths, ttl: options.ttl, worktree: options.worktree, task: options.task, checkpoint: options.checkpoint };
  const result = remote ? await remote.call<GrantResult>('POST', '', handle, input) : await claimVerb(room, handle, input);
  if (remote) await adopt(result.claim);
  warn(result.warnings);
  if (options.json) return printJson(result);
  if (result.inherited_checkpoint) warn([`checkpoint from the last claim on ${result.claim.task}: ${result.inherited_checkpoint}`]);
  printLine(table([describe(result.claim)]));
}

export async function release(id: string | undefined, options: Flags & { all?: boolean }): Promise<void> {
  const { handle, room, remote } = await target(options);
  const input = { id, all: options.all, epoch: options.epoch };
  const released = remote ? (await remote.call<{ released: Claim[] }>('POST', '/release', handle, input)).released : await releaseVerb(room, handle, input);
  if (options.json) return printJson(released);
  printLine(released.length ? `released ${released.map((c) => c.id).join(', ')}` : 'no claims to release');
}

export async function claimRenew(id: string, options: Flags): Promise<void> {
  const { handle, room, remote, adopt } = await target(options);
  const input = { id, epoch: options.epoch, ttl: options.ttl, checkpoint: options.checkpoint };
  const result = remote ? await remote.call<Awaited<ReturnType<typeof renewVerb>>>('POST', `/${encodeURIComponent(id)}/renew`, handle, input) : await renewVerb(room, handle, input);
  if (remote && result.renewed) await adopt(result.claim);
  warn(result.warnings);
  if (options.json) return printJson(result);
  if (!result.renewed) warn([`note: ${id} is not yet half through its TTL; left as it is`]);
  printLine(table([describe(result.claim)]));
}

export async function claimHandoff(id: string, to: string, options: Flags): Promise<void> {
  const { handle, room, remote, adopt } = await target(options);
  const input = { id, to, epoch: options.epoch };
  const given = remote ? (await remote.call<{ claim: Claim }>('POST', `/${encodeURIComponent(id)}/handoff`, handle, input)).claim : await handoffVerb(room, handle, input);
  if (remote) await adopt(given);
  if (options.json) return printJson(given);
  printLine(table([describe(given)]));
}

export async function claims(options: Flags & { mine?: boolean; all?: boolean }): Promise<void> {
  const { handle, room, remote } = await target(options);
  const input = { mine: options.mine, all: options.all };
  const query = new URLSearchParams({ ...(options.mine ? { holder: handle } : {}), ...(options.all ? { all: 'true' } : {}) });
  const result = remote ? await remote.call<{ claims: Claim[]; warnings: string[] }>('GET', `?${query}`, handle) : await claimsVerb(room, handle, input);
  warn(result.warnings);
  if (options.json) return printJson(result.claims);
  if (result.claims.length) printLine(table(result.claims.map(describe)));
}

/** Exit 3 when a path touches a live claim held by someone else (a pre-commit hook runs this with --diff). */
export async function claimsCheck(paths: string[], options: Flags & { diff?: boolean }): Promise<void> {
  const { handle, room, remote } = await target(options);
  let checked = paths;
  if (options.diff) checked = [...paths, ...(await import('./claims-git.js')).changedPaths(process.cwd())];
  const input = { paths: checked, worktree: options.worktree };
  const result = remote
    ? await remote.call<Awaited<ReturnType<typeof checkVerb>>>('POST', '/check', handle, input)
    : await checkVerb(room, handle, input);
  warn(result.warnings);
  if (options.json) printJson(result.conflicts);
  if (result.conflicts.length === 0) {
    if (!options.json) printLine(`ok: ${checked.length} path${checked.length === 1 ? '' : 's'}, no claim held by anyone else`);
    return;
  }
  const lines = result.conflicts.map((c) => `${c.path}: claimed by @${c.claim.holder} (${c.claim.id}, until ${c.claim.expires_at})`);
  throw new ClaimConflictError(`${lines.join('; ')}; wait, ask the holder, or leave these files out`);
}
