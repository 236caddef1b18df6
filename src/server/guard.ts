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

/** What a loopback server accepts in `Host` besides localhost and loopback addresses. */
export interface HostCheck {
  /** The address the server is bound to. */
  boundHost: string;
  /** The port it listens on: a `Host` naming another port is refused. */
  localPort?: number;
  /** More names (without port) configured with `serve --allow-host`. */
  allowed?: string[];
}

/**
 * True when a request's `Host` names this machine (localhost, a loopback address, the bound address)
 * or an allowed name, with no port or this server's port. A page on evil.example that rebinds its
 * name to 127.0.0.1 still sends `Host: evil.example`, so a loopback server checking this is out of its reach.
 */
export function hostAllowed(hostHeader: string | undefined, { boundHost, localPort, allowed = [] }: HostCheck): boolean {
  if (!hostHeader) return false;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(hostHeader.trim());
  if (!match) return false;
  const name = (match[1] ?? match[2]).toLowerCase().replace(/\.$/, '');
  if (match[3] !== undefined && localPort !== undefined && Number(match[3]) !== localPort) return false;
  return name === 'localhost' || isLoopback(name) || name === boundHost.toLowerCase() || allowed.some((a) => a.toLowerCase() === name);
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
