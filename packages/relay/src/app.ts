/**
 * The relay as a Fastify instance: `createRelay` registers every route of the API table, the
 * error mapping, rate limits, metrics and WebSocket delivery, and returns the instance without
 * listening. Callers listen (apps/server) or call `inject` (tests).
 */
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { ERROR_CODES, ROUTES, WEBSOCKET_PATH, limits, statusOf, type ErrorCode } from '@parley/api';
import type { RelayContext, RelayLimits } from './context.js';
import { hashToken, parseBasicAuth, verifyDevice } from './credentials.js';
import { Delivery } from './delivery.js';
import { RelayError, classify } from './errors.js';
import { createInProcessFanOut } from './fanout/in-process.js';
import type { FanOut } from './fanout/types.js';
import {
  MAX_CONCURRENT_UPLOADS,
  MAX_MESSAGE_AGE_MS,
  MAX_QUEUE_DEPTH,
  HTTP_KEEP_ALIVE_TIMEOUT_MS,
  RATE_LIMIT_ACCOUNT_BURST,
  RATE_LIMIT_ACCOUNT_PER_SECOND,
  RATE_LIMIT_IP_BURST,
  RATE_LIMIT_IP_PER_SECOND,
  RATE_LIMIT_SEALED_IP_BURST,
  RATE_LIMIT_SEALED_IP_PER_SECOND,
  RATE_LIMIT_SEALED_TOKEN_BURST,
  RATE_LIMIT_SEALED_TOKEN_PER_SECOND,
  SEND_ID_RETENTION_MS,
  SWEEP_BATCH,
  SWEEP_INTERVAL_MS,
  WS_AUTH_TIMEOUT_MS,
  WS_HEARTBEAT_INTERVAL_MS,
} from './limits.js';
import { RelayMetrics, labels } from './metrics.js';
import { createMemoryRateLimiter, type RateLimit, type RateLimiter } from './rate-limit.js';
import type { KeyTransBridge } from './keytrans.js';
import { accountRoutes } from './routes/accounts.js';
import { attachmentRoutes } from './routes/attachments.js';
import { attachmentUploadRoutes } from './routes/attachment-uploads.js';
import { createMemoryBlobStore } from './blobs/memory.js';
import type { BlobStore } from './blobs/types.js';
import { groupRoutes } from './routes/groups.js';
import { keyRoutes } from './routes/keys.js';
import { keyTransRoutes } from './routes/keytrans.js';
import { messageRoutes } from './routes/messages.js';
import { opsRoutes } from './routes/ops.js';
import { profileRoutes } from './routes/profiles.js';
import { sealedGroupRoutes } from './routes/sealed-groups.js';
import { sealedSenderRoutes } from './routes/sealed-sender.js';
import type { SenderCertificateIssuer } from './sealed-sender.js';
import type { Storage } from './storage/types.js';

export interface RelayOptions {
  readonly storage: Storage;
  /** Attachment blobs uploaded in chunks; default: in memory. `close()` is called on close. */
  readonly blobs?: BlobStore;
  /** Default: in-process fan-out (one relay node). */
  readonly fanOut?: FanOut;
  /** A pino-compatible logger instance; default: none (or `log`). */
  readonly logger?: FastifyBaseLogger;
  /** Let the relay create its JSON logger at this level, writing to `stream` (default stdout). */
  readonly log?: { readonly level: string; readonly stream?: NodeJS.WritableStream };
  /** Serve HTTPS (and WSS) with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /**
   * Per-IP and per-account limits, and those of unauthenticated (sealed) sends per source
   * address and per delivery token (defaults from `limits.ts`); `false` turns rate limiting off
   * (load tests).
   */
  readonly rateLimits?:
    | {
        readonly ip: RateLimit;
        readonly account: RateLimit;
        readonly sealedIp?: RateLimit;
        readonly sealedToken?: RateLimit;
      }
    | false;
  /** Limiters to use instead of in-memory ones (Redis, shared by several nodes). */
  readonly rateLimiters?: {
    readonly ip: RateLimiter;
    readonly account: RateLimiter;
    readonly sealedIp: RateLimiter;
    readonly sealedToken: RateLimiter;
  };
  /** Clock (ms since the epoch); tests pass a fake one. */
  readonly now?: () => number;
  readonly limits?: Partial<RelayLimits>;
  /** Period of the expiry sweep; `false` disables it. */
  readonly sweepIntervalMs?: number | false;
  /** When set, `/metrics` requires `Authorization: Bearer <metricsToken>`. */
  readonly metricsToken?: string;
  /**
   * More routes to register beside the API's (apps/server serves the web client this way),
   * before the instance is made ready. They get the relay's hooks: rate limits, metrics, logs.
   */
  readonly plugins?: readonly RelayPlugin[];
  /**
   * The key transparency log: clients' queries are forwarded to it and account changes are
   * published through it. Without one, KT routes answer `KT_UNAVAILABLE`.
   */
  readonly keyTransparency?: KeyTransBridge;
  /**
   * Origins (`scheme://host[:port]`) of web clients served elsewhere (`parley web serve`) that
   * may call the API (CORS) and open the WebSocket. Browsers from any other origin but the
   * relay's own are refused the WebSocket; clients that send no Origin (the CLI) are not affected.
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Sealed sender's trust root and certificate signer (apps/server holds the keys); without it
   * the sealed sender routes answer `NOT_FOUND`.
   */
  readonly sealedSender?: SenderCertificateIssuer;
}

/** Longest `Access-Control-Request-Headers` echoed back to an allowed origin. */
const MAX_CORS_REQUEST_HEADERS = 1024;

/** Whether a browser's `Origin` names the host it connected to (a same-origin page). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** Registers routes on the relay's Fastify instance (see `RelayOptions.plugins`). */
export type RelayPlugin = (app: FastifyInstance) => void | Promise<void>;

export const DEFAULT_RATE_LIMITS = {
  ip: { perSecond: RATE_LIMIT_IP_PER_SECOND, burst: RATE_LIMIT_IP_BURST },
  account: { perSecond: RATE_LIMIT_ACCOUNT_PER_SECOND, burst: RATE_LIMIT_ACCOUNT_BURST },
  sealedIp: { perSecond: RATE_LIMIT_SEALED_IP_PER_SECOND, burst: RATE_LIMIT_SEALED_IP_BURST },
  sealedToken: {
    perSecond: RATE_LIMIT_SEALED_TOKEN_PER_SECOND,
    burst: RATE_LIMIT_SEALED_TOKEN_BURST,
  },
} as const;

interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Builds the relay. It does not listen; `app.close()` stops delivery and sweeping. */
export async function createRelay(options: RelayOptions): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const rateLimits =
    options.rateLimits === false ? undefined : { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  const rate =
    rateLimits === undefined
      ? undefined
      : (options.rateLimiters ?? {
          ip: createMemoryRateLimiter(rateLimits.ip, now),
          account: createMemoryRateLimiter(rateLimits.account, now),
          sealedIp: createMemoryRateLimiter(rateLimits.sealedIp, now),
          sealedToken: createMemoryRateLimiter(rateLimits.sealedToken, now),
        });
  const ctx: RelayContext = {
    storage: options.storage,
    blobs: options.blobs ?? createMemoryBlobStore(),
    fanOut: options.fanOut ?? createInProcessFanOut(),
    metrics: new RelayMetrics(),
    now,
    accountLimiter: rate?.account,
    metricsTokenHash:
      options.metricsToken === undefined ? undefined : hashToken(options.metricsToken),
    keyTransparency: options.keyTransparency,
    limits: {
      maxQueueDepth: MAX_QUEUE_DEPTH,
      maxMessageAgeMs: MAX_MESSAGE_AGE_MS,
      maxInFlight: limits.MAX_IN_FLIGHT_MESSAGES,
      heartbeatIntervalMs: WS_HEARTBEAT_INTERVAL_MS,
      authTimeoutMs: WS_AUTH_TIMEOUT_MS,
      ...options.limits,
    },
  };
  const tls = options.tls;
  const app: FastifyInstance = Fastify({
    ...(options.logger === undefined ? {} : { loggerInstance: options.logger }),
    ...(options.log === undefined
      ? {}
      : {
          logger: {
            level: options.log.level,
            ...(options.log.stream === undefined ? {} : { stream: options.log.stream }),
            // Never the request or response objects: no URLs with usernames, no headers.
            serializers: { req: () => ({}), res: () => ({}) },
          },
        }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.MAX_JSON_BODY_BYTES,
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    serverFactory: (handler): Server => {
      const server =
        tls === undefined
          ? createHttpServer(handler)
          : createHttpsServer({ cert: tls.cert, key: tls.key }, handler);
      server.keepAliveTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS;
      return server;
    },
  });

  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer' },
    (_req, body, done) => {
      done(null, body);
    },
  );

  const limited = async (limiter: RateLimiter, key: string, scope: string): Promise<void> => {
    const r = await limiter.take(key);
    if (!r.ok) {
      ctx.metrics.rateLimited.inc(labels('scope', scope));
      throw Object.assign(new RelayError('RATE_LIMITED', 'rate limited'), {
        retryAfter: r.retryAfterSeconds,
      });
    }
  };

  let closing = false;
  // Attachment bodies are buffered (up to MAX_ATTACHMENT_BYTES each), so how many may be in
  // flight at once is bounded too; the rest are told to retry.
  const uploads = new WeakSet<FastifyRequest>();
  const isUpload = (request: FastifyRequest): boolean =>
    (request.method === ROUTES.uploadAttachment.method &&
      request.routeOptions.url === ROUTES.uploadAttachment.url) ||
    (request.method === ROUTES.putUploadChunk.method &&
      request.routeOptions.url === ROUTES.putUploadChunk.url);
  const releaseUpload = (request: FastifyRequest): void => {
    if (uploads.delete(request)) uploadsInFlight--;
  };
  let uploadsInFlight = 0;

  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  if (allowedOrigins.size > 0)
    app.addHook('onRequest', async (request, reply) => {
      const origin = request.headers.origin;
      if (origin === undefined || !allowedOrigins.has(origin)) return;
      void reply.header('access-control-allow-origin', origin);
      void reply.header('vary', 'origin');
      void reply.header('access-control-expose-headers', 'retry-after');
      const asked = request.headers['access-control-request-headers'];
      if (
        request.method !== 'OPTIONS' ||
        request.headers['access-control-request-method'] === undefined
      )
        return;
      void reply.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE');
      if (typeof asked === 'string' && asked.length <= MAX_CORS_REQUEST_HEADERS)
        void reply.header('access-control-allow-headers', asked);
      void reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    });

  app.addHook('onRequest', async (request) => {
    if (closing) throw new RelayError('UNAVAILABLE', 'shutting down');
    if (rate !== undefined) await limited(rate.ip, request.ip, 'ip');
    if (isUpload(request)) {
      if (uploadsInFlight >= MAX_CONCURRENT_UPLOADS)
        throw new RelayError('UNAVAILABLE', 'too many uploads');
      uploadsInFlight++;
      uploads.add(request);
    }
  });
  app.addHook('onRequestAbort', async (request) => {
    releaseUpload(request);
    return Promise.resolve();
  });

  app.addHook('onResponse', async (request, reply) => {
    releaseUpload(request);
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    ctx.metrics.httpRequests.inc(labels('route', route, 'status', String(reply.statusCode)));
    ctx.metrics.httpDuration.observe(seconds, labels('route', route));
    // Route pattern only: no path parameters (usernames, ids), no bodies, no headers.
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
    return Promise.resolve();
  });

  app.setErrorHandler(async (error, request, reply) => {
    const { code, message, details } = classify(error);
    if (code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
    const retryAfter = (error as { retryAfter?: unknown }).retryAfter;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    return reply.code(statusOf(code)).send(errorBody(code, message, details));
  });

  app.setNotFoundHandler(async (_request, reply) =>
    reply.code(ERROR_CODES.NOT_FOUND.status).send(errorBody('NOT_FOUND', 'no such route')),
  );

  const authenticate = async (request: FastifyRequest, primaryOnly: boolean) => {
    const creds = parseBasicAuth(request.headers.authorization);
    const identity =
      creds === undefined
        ? undefined
        : await verifyDevice(ctx.storage.reader, creds.accountId, creds.deviceId, creds.secret);
    if (identity === undefined) throw new RelayError('UNAUTHORIZED', 'unauthorized');
    if (rate !== undefined) await limited(rate.account, identity.accountId, 'account');
    if (primaryOnly && identity.deviceId !== 1)
      throw new RelayError('FORBIDDEN', 'primary device only');
    return identity;
  };

  accountRoutes(app, ctx, authenticate);
  keyRoutes(app, ctx, authenticate);
  messageRoutes(app, ctx, authenticate);
  attachmentRoutes(app, ctx, authenticate);
  attachmentUploadRoutes(app, ctx, authenticate);
  groupRoutes(app, ctx, authenticate);
  opsRoutes(app, ctx, authenticate);
  keyTransRoutes(app, options.keyTransparency, authenticate);
  const sealedLimiters =
    rate === undefined ? undefined : { ip: rate.sealedIp, token: rate.sealedToken };
  sealedSenderRoutes(app, ctx, authenticate, options.sealedSender, sealedLimiters);
  sealedGroupRoutes(app, ctx, authenticate, sealedLimiters);
  profileRoutes(app, ctx, authenticate);
  for (const plugin of options.plugins ?? []) await plugin(app);

  const delivery = new Delivery(ctx, app.log);
  app.server.on('upgrade', (req, socket, head) => {
    // A client resetting mid-handshake must not become an unhandled 'error' event.
    socket.on('error', () => {
      socket.destroy();
    });
    const path = (req.url ?? '').split('?')[0];
    if (path !== WEBSOCKET_PATH || closing) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const origin = req.headers.origin;
    if (
      origin !== undefined &&
      !allowedOrigins.has(origin) &&
      !sameOrigin(origin, req.headers.host)
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (rate === undefined) {
      delivery.upgrade(req, socket, head);
      return;
    }
    rate.ip.take(req.socket.remoteAddress ?? 'unknown').then(
      (r) => {
        if (r.ok) {
          delivery.upgrade(req, socket, head);
          return;
        }
        ctx.metrics.rateLimited.inc(labels('scope', 'ip'));
        socket.end(
          `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${r.retryAfterSeconds}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
        );
      },
      () => {
        socket.destroy();
      },
    );
  });

  const sweep = async (): Promise<void> => {
    const t = now();
    const s = ctx.storage;
    await s.transact((w) =>
      w.messages.deleteOlderThan(t - ctx.limits.maxMessageAgeMs, SWEEP_BATCH),
    );
    await s.transact((w) => w.messages.deleteExpired(t, SWEEP_BATCH));
    await s.transact((w) => w.messages.deleteSendsOlderThan(t - SEND_ID_RETENTION_MS, SWEEP_BATCH));
    await s.transact((w) => w.linkTokens.deleteExpired(t, SWEEP_BATCH));
    await s.transact((w) => w.provisioning.deleteExpired(t, SWEEP_BATCH));
    await s.transact((w) => w.attachments.deleteExpired(t, SWEEP_BATCH));
    await ctx.blobs.deleteExpired(t, SWEEP_BATCH);
  };
  const sweepEvery = options.sweepIntervalMs ?? SWEEP_INTERVAL_MS;
  const sweeper =
    sweepEvery === false
      ? undefined
      : setInterval(() => {
          sweep().catch((error: unknown) => {
            app.log.error({ err: error }, 'expiry sweep failed');
          });
        }, sweepEvery);
  sweeper?.unref();
  app.decorate('sweep', sweep);

  app.addHook('preClose', async () => {
    closing = true;
    clearInterval(sweeper);
    await delivery.close();
  });
  app.addHook('onClose', async () => {
    await ctx.fanOut.close();
    await ctx.blobs.close();
  });

  await app.ready();
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs one expiry sweep now (the relay also runs it every `SWEEP_INTERVAL_MS`). */
    sweep: () => Promise<void>;
  }
}
