/**
 * One schema per claim verb (issue 13), shared by the CLI, the HTTP routes (the server is the
 * authority for rooms cloned from it) and the MCP tools. Each takes a plain object and calls the library.
 */
import { InvalidInputError } from '../../errors.js';
import type { Room } from '../../room.js';
import { booleanField, stringField } from '../verb-fields.js';
import {
  type Claim,
  type ClaimOptions,
  type GrantResult,
  checkScope,
  grantClaim,
  handoffClaim,
  listClaims,
  releaseAll,
  releaseClaim,
  renewClaim,
} from './store.js';

type Input = Record<string, unknown>;

/** An epoch given as a number or a string of digits; undefined when absent. */
export function epochField(input: Input, name = 'epoch'): number | undefined {
  const value = input[name];
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new InvalidInputError(`'${name}' must be a whole number (the epoch \`mycelium claims --mine\` shows)`);
  return n;
}

/** `claim PATH...`: paths, ttl?, worktree?, task?, checkpoint? */
export function claimVerb(room: Room, handle: string, input: Input, options: ClaimOptions = {}): Promise<GrantResult> {
  const ttl = input.ttl === undefined || typeof input.ttl === 'number' ? (input.ttl as number | undefined) : stringField(input, 'ttl');
  return grantClaim(
    room,
    { holder: handle, paths: listPaths(input), ttl, worktree: stringField(input, 'worktree'), task: stringField(input, 'task'), checkpoint: stringField(input, 'checkpoint') },
    options,
  );
}

/** `release ID | --all`: id? all? epoch? */
export async function releaseVerb(room: Room, handle: string, input: Input, options: ClaimOptions = {}): Promise<Claim[]> {
  if (booleanField(input, 'all')) return releaseAll(room, handle, options);
  const id = stringField(input, 'id');
  if (!id) throw new InvalidInputError('give a claim id, or --all to release every claim you hold');
  return [await releaseClaim(room, handle, id, epochField(input), options)];
}

/** `claim renew ID`: id, epoch?, ttl?, checkpoint? */
export function renewVerb(room: Room, handle: string, input: Input, options: ClaimOptions = {}) {
  return renewClaim(room, handle, stringField(input, 'id', true), { epoch: epochField(input), ttl: stringField(input, 'ttl'), checkpoint: stringField(input, 'checkpoint') }, options);
}

/** `claim handoff ID HANDLE`: id, to, epoch? */
export function handoffVerb(room: Room, handle: string, input: Input, options: ClaimOptions = {}): Promise<Claim> {
  return handoffClaim(room, handle, stringField(input, 'id', true), stringField(input, 'to', true), epochField(input), options);
}

/** `claims [--mine] [--all]`. */
export function claimsVerb(room: Room, handle: string, input: Input, options: ClaimOptions = {}) {
  return listClaims(room, { holder: booleanField(input, 'mine') ? handle : stringField(input, 'holder'), all: booleanField(input, 'all') }, options);
}

/** `claims check PATH...`: paths, worktree? */
export function checkVerb(room: Room, handle: string, input: Input, options: ClaimOptions = {}) {
  return checkScope(room, handle, { paths: listPaths(input), worktree: stringField(input, 'worktree') }, options);
}

function listPaths(input: Input): string[] {
  const value = input.paths;
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  if (!items.every((v) => typeof v === 'string')) throw new InvalidInputError("'paths' must be a list of strings");
  return items as string[];
}
