/**
 * Token-bucket rate limiting behind an interface, so a shared backend (Redis) can replace the
 * in-memory one when several relay nodes share the load.
 */
import { MAX_RATE_LIMIT_BUCKETS } from './limits.js';

export interface RateLimiter {
  /** Takes one token from `key`'s bucket; false (and seconds to wait) when it is empty. */
  take(key: string): Promise<{ readonly ok: boolean; readonly retryAfterSeconds: number }>;
}

export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** An in-memory token bucket per key, the least recently used evicted past a bound. */
export function createMemoryRateLimiter(limit: RateLimit, now: () => number): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take: (key) => {
      const t = now();
      let b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= MAX_RATE_LIMIT_BUCKETS) {
          const oldest = buckets.keys().next();
          if (oldest.done !== true) buckets.delete(oldest.value);
        }
        b = { tokens: limit.burst, at: t };
      } else {
        buckets.delete(key);
        b.tokens = Math.min(limit.burst, b.tokens + ((t - b.at) / 1000) * limit.perSecond);
        b.at = t;
      }
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return Promise.resolve({ ok: true, retryAfterSeconds: 0 });
      }
      return Promise.resolve({
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / limit.perSecond)),
      });
    },
  };
}
