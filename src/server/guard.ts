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
 * True when a request's `Host` names this machine (localhost, 127.0.0.1, [::1]) or an allowed name,
 * with no port or this server's port. A page on evil.example that rebinds its name to 127.0.0.1
 * still sends `Host: evil.example`, so a loopback server that checks this cannot be reached by it.
 */
export function hostAllowed(header: string | undefined, localPort: number | undefined, allowed: string[]): boolean {
  if (!header) return false;
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(\d+))?$/.exec(header.trim());
  if (!match) return false;
  const name = match[1].toLowerCase().replace(/\.$/, '');
  if (match[2] !== undefined && localPort !== undefined && Number(match[2]) !== localPort) return false;
  return name === 'localhost' || name === '127.0.0.1' || name === '[::1]' || allowed.some((a) => a.toLowerCase() === name);
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
