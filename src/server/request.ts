import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../errors.js';
import type { Precondition } from '../precondition.js';

/** Who is writing: the `X-Mycelium-Handle` header, else "http". */
export function handleOf(request: FastifyRequest): string {
  const header = request.headers['x-mycelium-handle'];
  if (header === undefined) return 'http';
  if (typeof header !== 'string' || header.length === 0 || header.length > 100 || /[\x00-\x1f\x7f]/.test(header)) {
    throw new InvalidInputError('X-Mycelium-Handle must be 1-100 printable characters');
  }
  return header;
}

/** The write guard that If-Match / If-None-Match ask for. */
export function preconditionOf(request: FastifyRequest): Precondition {
  const ifMatch = request.headers['if-match'];
  const ifNoneMatch = request.headers['if-none-match'];
  const guard: Precondition = {};
  if (typeof ifMatch === 'string') {
    if (ifMatch.trim() === '*') guard.mustExist = true;
    else guard.ifHash = ifMatch.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  }
  if (typeof ifNoneMatch === 'string' && ifNoneMatch.trim() === '*') guard.mustNotExist = true;
  return guard;
}

export function setEtag(reply: FastifyReply, hash: string): void {
  reply.header('ETag', `"${hash}"`);
}

/** A whole-number query parameter within [min, max], with a default. */
export function queryNumber(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new InvalidInputError(`${name} must be a whole number from ${min} to ${max}, got '${text.slice(0, 20)}'`);
  }
  return Number(text);
}

/** A JSON request body that must be an object. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) {
    throw new InvalidInputError('the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
