import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import {
  KeyTransError,
  TransparencyLog,
  auditorTreeHeadTbs,
  createSuite,
  decodeAuditorTreeHead,
  decodeConfiguration,
  decodeContactMonitorRequest,
  decodeDistinguishedRequest,
  decodeHeadConsistencyRequest,
  decodeOwnerInitRequest,
  decodeOwnerMonitorRequest,
  decodeSearchRequest,
  decodeUpdateRequest,
  encodeAuditorUpdate,
  encodeConfiguration,
  encodeDistinguishedResponse,
  encodeHeadConsistencyProof,
  encodeMonitorResponse,
  encodeOwnerInitResponse,
  encodeSearchResponse,
  encodeUpdateResponse,
  limits,
  type Configuration,
  type LogKeys,
  type UpdateRequest,
} from '@parley/keytrans';
import type { Primitives } from '@parley/primitives';
import { decodePublishBatch, type PublishFailure } from './publish-batch.js';
import type { LogStorage } from './storage.js';

/**
 * The log service: a {@link TransparencyLog} rebuilt from storage, a sequencer that writes one
 * entry per period (a heartbeat when nothing is queued), and the -05 operations over HTTP. Every
 * body is the operation's TLS encoding (`application/octet-stream`). The service is internal:
 * it trusts its caller (the relay) to decide who may update which label, and answers
 * monitoring queries for anyone, always.
 */
export interface LogServiceOptions {
  readonly storage: LogStorage;
  readonly primitives: Primitives;
  readonly keys: LogKeys;
  /** The configuration of a new log; an existing log keeps its stored one. */
  readonly config: Configuration;
  /** One entry per `period` ms. */
  readonly period: number;
  /** "Recent" distinguished entries: within this many ms of the rightmost. */
  readonly recentWindow: number;
  readonly now?: () => number;
  readonly logger?: boolean;
}

export interface LogService {
  readonly app: FastifyInstance;
  readonly log: TransparencyLog;
  readonly config: Configuration;
  /** Sequences one entry now (the timer does this every period). */
  sequence(): void;
  /** Starts the timer. */
  start(): void;
  close(): Promise<void>;
}

/** Wire paths, one per operation. */
export const KT_ROUTES = {
  config: '/kt/v1/config',
  search: '/kt/v1/search',
  contactMonitor: '/kt/v1/contact-monitor',
  ownerInit: '/kt/v1/owner-init',
  ownerMonitor: '/kt/v1/owner-monitor',
  update: '/kt/v1/update',
  distinguished: '/kt/v1/distinguished',
  publish: '/kt/v1/publish',
  headConsistency: '/kt/v1/head-consistency',
  auditUpdate: '/kt/v1/audit/update/:position',
  auditHead: '/kt/v1/audit/head',
} as const;

const STATUS: Partial<Record<string, number>> = {
  MALFORMED: 400,
  LIMIT_EXCEEDED: 400,
  INVALID_REQUEST: 400,
  NOT_FOUND: 404,
  UPDATE_PENDING: 409,
  BAD_SIGNATURE: 400,
};

export function createLogService(options: LogServiceOptions): LogService {
  const now = options.now ?? Date.now;
  const suite = createSuite(options.primitives);
  const stored = options.storage.configuration();
  if (stored === undefined) options.storage.initialize(encodeConfiguration(options.config));
  const config = stored === undefined ? options.config : decodeConfiguration(stored);
  const log = new TransparencyLog(suite, config, options.keys, {
    recentWindow: options.recentWindow,
  });
  for (const entry of options.storage.entries()) log.restore(entry.timestamp, entry.added);
  const waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];

  const sequence = (): void => {
    const position = log.size;
    const timestamp = Math.max(now(), position > 0 ? log.timestampAt(position - 1) : 0);
    const added = log.sequence(timestamp);
    // Durable before anyone is answered; a failed write leaves memory ahead of disk, so stop.
    options.storage.append({ position, timestamp, added });
    for (const w of waiting.splice(0)) w.resolve();
  };
  if (log.size === 0) sequence();

  const app = Fastify({ logger: options.logger ?? false, bodyLimit: limits.MAX_RESPONSE_BYTES });
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer' },
    (_req, body, done) => {
      done(null, body);
    },
  );
  const bytes = (body: unknown): Uint8Array => {
    if (!(body instanceof Buffer))
      throw new KeyTransError('MALFORMED', 'body must be application/octet-stream');
    return Uint8Array.from(body);
  };
  const send = (reply: FastifyReply, data: Uint8Array): FastifyReply =>
    reply
      .type('application/octet-stream')
      .send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof KeyTransError) {
      void reply
        .status(STATUS[error.code] ?? 500)
        .send({ code: error.code, message: error.message });
      return;
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    const message = error instanceof Error ? error.message : 'error';
    void reply.status(status).send({
      code: status === 503 ? 'UNAVAILABLE' : status < 500 ? 'INVALID_REQUEST' : 'INTERNAL',
      message: status < 500 || status === 503 ? message : 'internal error',
    });
  });

  const mode = config.mode;
  app.get('/health', () => ({ size: log.size }));
  app.get(KT_ROUTES.config, (_req, reply) => send(reply, encodeConfiguration(config)));
  app.post(KT_ROUTES.search, (req, reply) =>
    send(reply, encodeSearchResponse(mode, log.search(decodeSearchRequest(bytes(req.body))))),
  );
  app.post(KT_ROUTES.contactMonitor, (req, reply) =>
    send(
      reply,
      encodeMonitorResponse(mode, log.contactMonitor(decodeContactMonitorRequest(bytes(req.body)))),
    ),
  );
  app.post(KT_ROUTES.ownerInit, (req, reply) =>
    send(
      reply,
      encodeOwnerInitResponse(mode, log.ownerInit(decodeOwnerInitRequest(bytes(req.body)))),
    ),
  );
  app.post(KT_ROUTES.ownerMonitor, (req, reply) =>
    send(
      reply,
      encodeMonitorResponse(mode, log.ownerMonitor(decodeOwnerMonitorRequest(bytes(req.body)))),
    ),
  );
  app.post(KT_ROUTES.distinguished, (req, reply) =>
    send(
      reply,
      encodeDistinguishedResponse(
        mode,
        log.distinguished(decodeDistinguishedRequest(bytes(req.body))),
      ),
    ),
  );
  app.post<{ Querystring: { answer?: string } }>(KT_ROUTES.update, async (req, reply) => {
    const request: UpdateRequest = decodeUpdateRequest(bytes(req.body));
    // `?answer=none` (the relay's bridge, which publishes for the owner and checks nothing):
    // 204 once the entry is on disk, without the UpdateResponse's proofs (their VRF proving is
    // most of an update's cost).
    const answer = req.query.answer !== 'none';
    if (request.values.length === 0) {
      if (!answer) throw new KeyTransError('INVALID_REQUEST', 'nothing to publish');
      return send(reply, encodeUpdateResponse(mode, log.update(request, false)));
    }
    log.enqueue(request.label, request.greatestVersion, request.values);
    await new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    if (!answer) return reply.status(204).send();
    // The request's `last` may predate the new entry; it is still a size the user saw.
    return send(reply, encodeUpdateResponse(mode, log.update(request, true)));
  });
  app.post(KT_ROUTES.headConsistency, (req, reply) =>
    send(
      reply,
      encodeHeadConsistencyProof(
        log.headConsistency(decodeHeadConsistencyRequest(bytes(req.body))),
      ),
    ),
  );
  // The relay's bridge: many publications in one request (`publish-batch.ts`), answered once
  // their entry is on disk with the ones refused; no proofs.
  app.post(KT_ROUTES.publish, async (req, reply) => {
    const items = decodePublishBatch(bytes(req.body));
    const failed: PublishFailure[] = [];
    let queued = false;
    for (const [index, item] of items.entries()) {
      try {
        if (log.publish(item.label, item.value) === 'queued') queued = true;
      } catch (error) {
        if (!(error instanceof KeyTransError)) throw error;
        failed.push({ index, code: error.code });
      }
    }
    if (queued) await new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    return reply.send({ failed });
  });
  app.get<{ Params: { position: string } }>(KT_ROUTES.auditUpdate, (req, reply) => {
    const position = Number(req.params.position);
    if (!Number.isSafeInteger(position) || position < 0)
      throw new KeyTransError('INVALID_REQUEST', 'bad position');
    return send(reply, encodeAuditorUpdate(log.auditorUpdate(position)));
  });
  app.post(KT_ROUTES.auditHead, (req, reply) => {
    const head = decodeAuditorTreeHead(bytes(req.body));
    if (config.mode !== 3) throw new KeyTransError('INVALID_REQUEST', 'this log has no auditor');
    if (head.treeSize < 1 || head.treeSize > log.size)
      throw new KeyTransError('INVALID_REQUEST', 'auditor head outside the log');
    if (head.timestamp !== log.timestampAt(head.treeSize - 1))
      throw new KeyTransError('INVALID_REQUEST', 'auditor head timestamp');
    const tbs = auditorTreeHeadTbs(
      config,
      head.timestamp,
      head.treeSize,
      log.rootAt(head.treeSize),
    );
    if (!suite.verify(config.auditorPublicKey ?? new Uint8Array(), tbs, head.signature)) {
      throw new KeyTransError('BAD_SIGNATURE', 'auditor head signature does not verify');
    }
    log.setAuditorTreeHead(head);
    return reply.status(204).send();
  });

  let timer: NodeJS.Timeout | undefined;
  return {
    app,
    log,
    config,
    sequence,
    start() {
      timer ??= setInterval(sequence, options.period);
    },
    async close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      const closing = Object.assign(new Error('the log is shutting down'), { statusCode: 503 });
      for (const w of waiting.splice(0)) w.reject(closing);
      await app.close();
      options.storage.close();
    },
  };
}
