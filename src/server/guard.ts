import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares a presented token with the server's in constant time (hashing first evens out lengths). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The bearer token of an `Authorization: Bearer T` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1] : undefined;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * A token bucket per client: `perMinute` requests a minute, in bursts of up to that many.
 * `take` says how many seconds to wait when the bucket is empty.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly perMinute: number) {}

  /** 0 when the request may go ahead, else the seconds until it may (for Retry-After). */
  take(client: string, now = Date.now()): number {
    if (this.perMinute <= 0) return 0;
    const rate = this.perMinute / 60_000;
    const bucket = this.buckets.get(client) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    this.buckets.set(client, bucket);
    if (this.buckets.size > 10_000) this.forgetFull(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate / 1000));
  }

  /** Drops buckets that have refilled completely: they hold nothing worth remembering. */
  private forgetFull(now: number): void {
    for (const [client, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * (this.perMinute / 60_000) >= this.perMinute) this.buckets.delete(client);
    }
  }
}

/** Host header names allowed on a loopback server: localhost and loopback addresses, and the bound address. */
export function hostAllowed(hostHeader: string | undefined, boundHost: string): boolean {
  if (!hostHeader) return false;
  const name = hostHeader.startsWith('[') ? hostHeader.slice(1, hostHeader.indexOf(']')) : hostHeader.replace(/:\d*$/, '');
  const host = name.toLowerCase();
  return host === 'localhost' || isLoopback(host) || host === boundHost.toLowerCase();
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * True for a state-changing request a browser sent from another site (CSRF): Sec-Fetch-Site or Origin
 * says so. Programs (CLI, sync, curl) send neither and pass; a request that rides on the web cookie
 * must carry one of them, as browsers do for every form post and fetch.
 */
export function isCrossOriginWrite(
  method: string,
  headers: { host?: string; origin?: string; 'sec-fetch-site'?: string | string[] },
  viaCookie: boolean,
): boolean {
  if (SAFE_METHODS.has(method)) return false;
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return true;
  if (headers.origin !== undefined) {
    try {
      return new URL(headers.origin).host !== headers.host;
    } catch {
      return true; // "null" (sandboxed frames, file:) and garbage
    }
  }
  return viaCookie && site !== 'same-origin';
}
