#!/usr/bin/env node
// Parley's server entry point: configuration, then the relay, then listen. SIGINT/SIGTERM close
// it gracefully: WebSockets are told to go away, in-flight requests (and so in-flight writes)
// finish, then storage is closed.
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_RATE_LIMITS,
  createMemoryStorage,
  createRedisFanOut,
  createRedisRateLimiters,
  createRelay,
  openPgStorage,
  openSqliteStorage,
  relayLimits,
  type Storage,
} from '@parley/relay';
import { ConfigError, USAGE, parseConfig, type ServerConfig } from './config.js';
import { runMigrate } from './migrate.js';
import { loadWebApp, webAppPlugin } from './web-app.js';

/** apps/web/dist, from both src/ (tsx) and dist/ (built). */
const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

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
  const storage = await openStorage(config);
  // With Redis, nodes share wake-ups and rate limits; without, everything stays in this process.
  const fanOut =
    config.redisUrl === undefined ? undefined : createRedisFanOut({ url: config.redisUrl });
  const limiters =
    config.redisUrl === undefined || !config.rateLimits
      ? undefined
      : createRedisRateLimiters(config.redisUrl, DEFAULT_RATE_LIMITS, Date.now);
  const app = await createRelay({
    storage,
    ...(fanOut === undefined ? {} : { fanOut }),
    ...(limiters === undefined ? {} : { rateLimiters: limiters }),
    log: { level: config.logLevel },
    ...(config.tls === undefined ? {} : { tls: config.tls }),
    ...(config.rateLimits ? {} : { rateLimits: false as const }),
    ...(config.metricsToken === undefined ? {} : { metricsToken: config.metricsToken }),
    ...(web === undefined ? {} : { plugins: [webAppPlugin(web)] }),
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
      .then(() => limiters?.close())
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
