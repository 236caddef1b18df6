import { createHmac } from 'node:crypto';
import { tokenMatches } from '../guard.js';

/** The cookie the login form sets; it holds a value derived from the token, never the token itself. */
export const SESSION_COOKIE = 'mycelium_session';

/** A week: a person logs in again after that (or when the server's token changes). */
const SESSION_MAX_AGE_S = 7 * 24 * 3600;

/** HMAC of a fixed label under the token: stateless, survives restarts, changes with the token. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('mycelium web session v1').digest('base64url');
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether a Cookie header carries a valid session for this token. */
export function hasSession(header: string | undefined, token: string): boolean {
  const presented = cookieValue(header, SESSION_COOKIE);
  return presented !== undefined && tokenMatches(presented, sessionValue(token));
}

/** Set-Cookie for a new session: HttpOnly (no script reads it), SameSite=Strict (no other site sends it). */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${sessionValue(token)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MAX_AGE_S}`;
}

export const CLEARED_SESSION_COOKIE = `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;

/** Paths open without a session: the login form and the page's static files. */
export function isPublicWebPath(url: string): boolean {
  const path = url.split('?')[0];
  return path === '/ui/login' || path.startsWith('/ui/assets/');
}

/** Where to go after logging in: only a page of ours (never another site, never `//host`). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/ui(\/[^/\\][^\\]*)?$/.test(next) ? next : '/ui';
}
