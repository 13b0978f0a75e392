/**
 * Token buckets shared by all relay nodes, in Redis: one hash per key (`tokens`, `at`), updated
 * by one Lua script (atomic), expiring once full again. If Redis cannot be reached the limiter
 * lets the request through (fails open): losing Redis costs the shared limits for that time, not
 * availability; per-node limits (`createMemoryRateLimiter`) can be layered under it.
 */
import { Redis } from 'ioredis';
import { REDIS_PREFIX } from './fanout/redis.js';
import type { RateLimit, RateLimiter } from './rate-limit.js';

const TAKE = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
end
local ok = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {ok, tostring(tokens)}
`;

/** Longest key kept (IPs and account ids are far shorter). */
const MAX_KEY_LENGTH = 200;

type TakeCommand = (
  key: string,
  perSecond: number,
  burst: number,
  now: number,
) => Promise<[number, string]>;

function limiter(
  take: TakeCommand,
  scope: string,
  limit: RateLimit,
  now: () => number,
): RateLimiter {
  return {
    take: async (key) => {
      const k = `${REDIS_PREFIX}rl:${scope}:${key.slice(0, MAX_KEY_LENGTH)}`;
      try {
        const [ok, tokensText] = await take(k, limit.perSecond, limit.burst, now());
        if (ok === 1) return { ok: true, retryAfterSeconds: 0 };
        const tokens = Number(tokensText);
        return {
          ok: false,
          retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / limit.perSecond)),
        };
      } catch {
        return { ok: true, retryAfterSeconds: 0 };
      }
    },
  };
}

/**
 * Per-IP and per-account limiters, and those of unauthenticated (sealed) sends per address and
 * per delivery token, on one Redis connection (EVALSHA of one script).
 */
export function createRedisRateLimiters(
  url: string,
  limits: {
    readonly ip: RateLimit;
    readonly account: RateLimit;
    readonly sealedIp: RateLimit;
    readonly sealedToken: RateLimit;
  },
  now: () => number,
): {
  readonly ip: RateLimiter;
  readonly account: RateLimiter;
  readonly sealedIp: RateLimiter;
  readonly sealedToken: RateLimiter;
  /** Resolves once the connection is up (until then every take fails open); for tests. */
  ready(): Promise<void>;
  close(): Promise<void>;
} {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
    retryStrategy: (n: number) => Math.min(n * 100, 1_000),
  });
  redis.on('error', () => undefined);
  redis.defineCommand('parleyTake', { numberOfKeys: 1, lua: TAKE });
  const take = (redis as unknown as { parleyTake: TakeCommand }).parleyTake.bind(redis);
  return {
    ip: limiter(take, 'ip', limits.ip, now),
    account: limiter(take, 'account', limits.account, now),
    sealedIp: limiter(take, 'sealed-ip', limits.sealedIp, now),
    sealedToken: limiter(take, 'sealed-token', limits.sealedToken, now),
    ready: () =>
      redis.status === 'ready'
        ? Promise.resolve()
        : new Promise((resolve) => redis.once('ready', () => resolve())),
    close: async () => {
      await redis.quit().catch(() => undefined);
      redis.disconnect();
    },
  };
}
