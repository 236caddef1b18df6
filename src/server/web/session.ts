import { SESSION_MAX_AGE_S } from './sessions.js';

/** The cookie the login form sets: a random session id the server keeps (./sessions.ts), never the token. */
export const SESSION_COOKIE = 'mycelium_session';

/** Set-Cookie for a new session: HttpOnly (no script reads it), SameSite=Strict (no other site sends it). */
export function sessionCookie(value: string): string {
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MAX_AGE_S}`;
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
