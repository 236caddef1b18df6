import type { DigestContributor } from './index.js';

/**
 * The wings that add to a digest (plan and tasks, claims, negotiation). Each is a function of the
 * room's files; the list is the one place a new wing is plugged in.
 */
export const DIGEST_CONTRIBUTORS: DigestContributor[] = [];
