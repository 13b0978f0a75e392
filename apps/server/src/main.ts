#!/usr/bin/env node
// Parley's server entry point: configuration, then the relay, then listen. SIGINT/SIGTERM close
// it gracefully: WebSockets are told to go away, in-flight requests (and so in-flight writes)
// finish, then storage is closed.
//
// Start it with a larger young generation: `node --max-semi-space-size=64` (what `npm start`
// does; for the `parley-server` command, `NODE_OPTIONS=--max-semi-space-size=64`). Each message
// leaves short-lived objects (decoded sends, envelopes, promises) that live across a group commit;
// with Node's default semi-space they survive scavenges and cost promotion. Measured with
// the relay load benchmark: 95.5 → 85.5 µs of relay CPU per message at 4,000/s (N = 1,000),
// see the relay README's eighth pass; it costs up to 128 MB more resident memory under load.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  BLOB_DIR_NAME,
  DEFAULT_RATE_LIMITS,
  createMemoryStorage,
  createRedisFanOut,
  queueHeadOption,
  createRedisRateLimiters,
  createRelay,
  openDiskBlobStore,
  openPgStorage,
  openSqliteStorage,
  relayLimits,
  type Storage,
} from '@parley/relay';
import { ConfigError, USAGE, parseConfig, type ServerConfig } from './config.js';
import { runMigrate } from './migrate.js';
import { createLogBridge, type LogBridge } from '@parley/keytrans-log';
import { startLogProcess, type LogProcess } from './keytrans-log-process.js';
import { createSenderCertificateIssuer, loadOrCreateSealedSenderKeys } from './sealed-sender.js';
import { loadWebApp, webAppPlugin } from './web-app.js';

/** apps/web/dist, from both src/ (tsx) and dist/ (built). */
const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));
/** The key transparency bridge's durable queue, in the data directory. */
const KT_JOURNAL_FILE = 'keytrans-queue.jsonl';

async function main(): Promise<number> {
  if (process.argv[2] === 'migrate') return runMigrate(process.argv.slice(3), process.env);
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`parley-server: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (config === 'help') {
    console.log(USAGE);
    return 0;
  }
  const webDir = config.webDir === 'default' ? DEFAULT_WEB_DIR : config.webDir;
  const web = config.webDir === 'off' ? undefined : loadWebApp(webDir);
  if (web === undefined && config.webDir !== 'off')
    console.log(`parley: no web client in ${webDir} (run npm run build); serving the API only`);
  if (web !== undefined) {
    console.log(`parley: web client ${web.manifest.version}, root ${web.manifest.root}`);
    if (web.mismatches.length > 0)
      console.log(
        `parley: warning: these files of ${webDir} differ from its manifest (browsers and \`parley web verify\` will refuse them): ${web.mismatches.join(', ')}`,
      );
  }
  const storage = await openStorage(config);
  // With Redis, nodes share wake-ups and rate limits; without, everything stays in this process.
  const fanOut =
    config.redisUrl === undefined
      ? undefined
      : createRedisFanOut({ url: config.redisUrl, ...queueHeadOption(storage) });
  const limiters =
    config.redisUrl === undefined || !config.rateLimits
      ? undefined
      : createRedisRateLimiters(config.redisUrl, DEFAULT_RATE_LIMITS, Date.now);
  // Sealed sender keys, attachment blobs and the KT log live under the data directory with every
  // durable storage (PostgreSQL included), so it must exist.
  if (config.storage !== 'memory') mkdirSync(config.dataDir, { recursive: true });
  const primitives = createNodePrimitives();
  const sealedSender = createSenderCertificateIssuer(
    primitives,
    loadOrCreateSealedSenderKeys(
      primitives,
      config.storage === 'memory' ? undefined : config.dataDir,
    ),
  );
  // Key transparency: a log of our own as a child process by default (contact-monitoring mode:
  // no auditor), or one already running.
  // The log starts beside the relay: the relay listens at once, KT requests wait for the log
  // (and answer KT_UNAVAILABLE if it cannot start).
  let logProcess: Promise<LogProcess> | undefined;
  let bridge: LogBridge | undefined;
  let url: Promise<string> | undefined;
  if (config.keyTransparency !== 'off') {
    if (config.keyTransparency === 'spawn') {
      logProcess = startLogProcess({
        data: config.storage === 'memory' ? 'memory' : join(config.dataDir, 'keytrans-log'),
        period: config.ktPeriod,
        print: (line) => console.log(`  ${line}`),
      });
      url = logProcess.then((p) => p.url);
    } else url = Promise.resolve(config.keyTransparency.href);
    // Changes waiting for the log survive a stop or crash (a journal beside the database).
    bridge = createLogBridge({
      baseUrl: url,
      primitives,
      ...(config.storage === 'memory' ? {} : { journal: join(config.dataDir, KT_JOURNAL_FILE) }),
    });
    url.then(
      (u) =>
        console.log(
          `parley: key transparency log at ${u} (${logProcess === undefined ? 'external' : 'child process'})`,
        ),
      (error: unknown) =>
        console.error(
          `parley: the key transparency log did not start (${error instanceof Error ? error.message : 'error'}); clients that verify keys cannot send`,
        ),
    );
  } else console.log('parley: key transparency off (clients cannot verify keys)');
  // Attachment blobs live in files beside the database (in memory with memory storage).
  const blobs =
    config.storage === 'memory'
      ? undefined
      : await openDiskBlobStore(join(config.dataDir, BLOB_DIR_NAME));
  const app = await createRelay({
    storage,
    sealedSender,
    ...(blobs === undefined ? {} : { blobs }),
    ...(bridge === undefined ? {} : { keyTransparency: bridge }),
    ...(fanOut === undefined ? {} : { fanOut }),
    ...(limiters === undefined ? {} : { rateLimiters: limiters }),
    log: { level: config.logLevel },
    ...(config.tls === undefined ? {} : { tls: config.tls }),
    ...(config.rateLimits ? {} : { rateLimits: false as const }),
    ...(config.metricsToken === undefined ? {} : { metricsToken: config.metricsToken }),
    ...(web === undefined ? {} : { plugins: [webAppPlugin(web)] }),
    allowedOrigins: config.allowedOrigins,
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const scheme = config.tls === undefined ? 'http' : 'https';
  const where = config.storage === 'sqlite' ? ` in ${config.dataDir}` : '';
  const fan = config.redisUrl === undefined ? 'in-process' : 'redis';
  console.log(
    `parley: relay listening on ${scheme}://${config.host}:${port} (storage: ${config.storage}${where}; fan-out: ${fan}; health: /health)`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`parley: ${signal}, shutting down`);
    const force = setTimeout(() => {
      console.error('parley: shutdown grace period over, closing connections');
      app.server.closeAllConnections();
    }, relayLimits.SHUTDOWN_GRACE_MS);
    force.unref();
    app
      .close()
      .then(() => storage.close())
      .then(async () => {
        bridge?.close();
        const log = await logProcess?.catch(() => undefined);
        await log?.stop();
        await limiters?.close();
      })
      .then(() => {
        clearTimeout(force);
        process.exitCode = 0;
      })
      .catch((error: unknown) => {
        console.error('parley: shutdown failed', error);
        process.exitCode = 1;
      });
  };
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  return 0;
}

function openStorage(config: ServerConfig): Promise<Storage> {
  switch (config.storage) {
    case 'memory':
      return Promise.resolve(createMemoryStorage());
    case 'pg':
      return openPgStorage({
        connectionString: config.databaseUrl ?? '',
        poolSize: config.pgPoolSize,
        groupCommit: config.groupCommit,
      });
    case 'sqlite':
      return Promise.resolve(
        openSqliteStorage({
          dataDir: config.dataDir,
          synchronous: config.sqliteSync,
          groupCommit: config.groupCommit,
        }),
      );
  }
}

main().then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    console.error('parley: failed to start:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
