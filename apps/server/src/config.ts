/**
 * Server configuration from flags and environment (flags win), with defaults that work on a
 * fresh clone: 127.0.0.1:8080, SQLite in ./.parley/data.
 */
import { readFileSync } from 'node:fs';
import { PG_DEFAULT_POOL_SIZE, relayLimits } from '@parley/relay';
import { relayOrigin } from '@parley/web-integrity';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
export const DEFAULT_DATA_DIR = './.parley/data';
/** Largest group commit an operator may configure (bounds one batch's memory and latency). */
export const MAX_GROUP_COMMIT_BATCH = 8_192;
/** Longest group commit window an operator may configure (it is added to every send's latency). */
export const MAX_GROUP_COMMIT_WINDOW_MS = 100;
const MAX_PORT = 65_535;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly storage: 'sqlite' | 'memory' | 'pg';
  /** PostgreSQL connection string (storage `pg`); may hold a password: never logged. */
  readonly databaseUrl: string | undefined;
  /** PostgreSQL connections per node. */
  readonly pgPoolSize: number;
  /** Redis for fan-out between nodes and shared rate limits; undefined: in-process. */
  readonly redisUrl: string | undefined;
  /** `FULL`: a commit survives power loss; `NORMAL`: only a process crash. */
  readonly sqliteSync: 'FULL' | 'NORMAL';
  /** SQLite group commit: flush at this many pending transactions, or after `windowMs`. */
  readonly groupCommit: { readonly maxBatch: number; readonly windowMs: number };
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly rateLimits: boolean;
  /** When set, `/metrics` requires it as a bearer token (from the environment only). */
  readonly metricsToken: string | undefined;
  /** The web client's build to serve at `/`: a directory, `default` (apps/web/dist), or `off`. */
  readonly webDir: string;
  /** Origins of web clients served elsewhere (`parley web serve`) allowed to use this relay. */
  readonly allowedOrigins: readonly string[];
  /**
   * The key transparency log: `spawn` runs one as a child process (data in `<dataDir>/keytrans-log`),
   * a URL uses a running one, `off` runs none (clients then cannot verify keys).
   */
  readonly keyTransparency: 'spawn' | 'off' | URL;
  /** One log entry per this many ms (a spawned log only). */
  readonly ktPeriod: number;
}

/** Most origins an operator may allow (each is a header comparison per request). */
export const MAX_ALLOWED_ORIGINS = 16;

/** One log entry per minute, as issue 13 specifies. */
export const DEFAULT_KT_PERIOD_MS = 60_000;
/** Shortest entry period an operator may choose (tests use short ones). */
export const MIN_KT_PERIOD_MS = 50;
/** Longest entry period (a client waits this long before a new key is verifiable). */
export const MAX_KT_PERIOD_MS = 10 * 60_000;

/** Most PostgreSQL connections per node an operator may configure. */
export const MAX_PG_POOL_SIZE = 200;

/** Shortest operator metrics token accepted (a guessable one would not protect anything). */
export const MIN_METRICS_TOKEN_LENGTH = 16;

export const USAGE = `usage: parley-server [options]
       parley-server migrate --from-sqlite DIR --to postgres://... (SQLite to PostgreSQL)
  --host HOST          address to listen on (PARLEY_HOST, default ${DEFAULT_HOST})
  --port PORT          port, 0 for any free one (PARLEY_PORT, default ${DEFAULT_PORT})
  --data-dir DIR       SQLite database, attachment blobs, sealed sender keys, the KT log (PARLEY_DATA_DIR, default ${DEFAULT_DATA_DIR})
  --storage KIND       sqlite, memory or pg (PARLEY_STORAGE; default pg when a database URL
                       is given, else sqlite)
  --database-url URL   PostgreSQL, postgres://user:password@host:port/db (DATABASE_URL);
                       several relay nodes may share it
  --pg-pool-size N     PostgreSQL connections per node (PARLEY_PG_POOL_SIZE, 1..${MAX_PG_POOL_SIZE}, default ${PG_DEFAULT_POOL_SIZE})
  --redis-url URL      Redis, redis://host:port (REDIS_URL): fan-out between relay nodes and
                       shared rate limits (default: in-process, one node)
  --sqlite-sync MODE   FULL or NORMAL (PARLEY_SQLITE_SYNC, default FULL)
  --group-commit-max N       flush a group commit at N pending transactions
                       (PARLEY_GROUP_COMMIT_MAX, 1..${MAX_GROUP_COMMIT_BATCH}, default ${relayLimits.GROUP_COMMIT_MAX_BATCH})
  --group-commit-window-ms MS  or MS after the first of them (PARLEY_GROUP_COMMIT_WINDOW_MS,
                       0..${MAX_GROUP_COMMIT_WINDOW_MS}, default ${relayLimits.GROUP_COMMIT_WINDOW_MS}, on pg
                       ${relayLimits.PG_GROUP_COMMIT_WINDOW_MS})
  --tls-cert FILE      PEM certificate; with --tls-key serves HTTPS (PARLEY_TLS_CERT)
  --tls-key FILE       PEM private key (PARLEY_TLS_KEY)
  --log-level LEVEL    ${LOG_LEVELS.join(', ')} (PARLEY_LOG_LEVEL, default info)
  --no-rate-limit      turn rate limits off, for load tests (PARLEY_RATE_LIMIT=off)
  --web-dir DIR        the web client's build to serve at / (PARLEY_WEB_DIR, default apps/web/dist;
                       off to serve none)
  --allow-origin LIST  comma-separated origins of web clients served elsewhere (parley web serve)
                       that may call the API and open the WebSocket (PARLEY_ALLOW_ORIGINS)
  PARLEY_METRICS_TOKEN (environment only, kept out of the process list): when set, /metrics
                       requires "Authorization: Bearer <token>"; at least ${MIN_METRICS_TOKEN_LENGTH} characters
  --kt MODE            key transparency log: spawn (a child process, the default), off, or
                       the log service's URL (PARLEY_KT)
  --kt-period MS       one log entry per MS (PARLEY_KT_PERIOD, ${MIN_KT_PERIOD_MS}..${MAX_KT_PERIOD_MS}, default ${DEFAULT_KT_PERIOD_MS})
  --help               this text`;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const FLAGS: Record<string, string> = {
  '--host': 'PARLEY_HOST',
  '--port': 'PARLEY_PORT',
  '--data-dir': 'PARLEY_DATA_DIR',
  '--storage': 'PARLEY_STORAGE',
  '--database-url': 'DATABASE_URL',
  '--pg-pool-size': 'PARLEY_PG_POOL_SIZE',
  '--redis-url': 'REDIS_URL',
  '--sqlite-sync': 'PARLEY_SQLITE_SYNC',
  '--group-commit-max': 'PARLEY_GROUP_COMMIT_MAX',
  '--group-commit-window-ms': 'PARLEY_GROUP_COMMIT_WINDOW_MS',
  '--tls-cert': 'PARLEY_TLS_CERT',
  '--tls-key': 'PARLEY_TLS_KEY',
  '--log-level': 'PARLEY_LOG_LEVEL',
  '--web-dir': 'PARLEY_WEB_DIR',
  '--allow-origin': 'PARLEY_ALLOW_ORIGINS',
  '--kt': 'PARLEY_KT',
  '--kt-period': 'PARLEY_KT_PERIOD',
};

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}`);
  return found;
}

/** Parses flags over environment; `'help'` when --help was given. */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServerConfig | 'help' {
  const values: Record<string, string | undefined> = {};
  for (const variable of Object.values(FLAGS)) values[variable] = env[variable];
  if (env['PARLEY_RATE_LIMIT'] === 'off') values['PARLEY_RATE_LIMIT'] = 'off';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--no-rate-limit') {
      values['PARLEY_RATE_LIMIT'] = 'off';
      continue;
    }
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const variable = FLAGS[flag];
    if (variable === undefined) throw new ConfigError(`unknown option ${flag}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    values[variable] = value;
  }
  const portText = values['PARLEY_PORT'] ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > MAX_PORT)
    throw new ConfigError('port must be an integer from 0 to 65535');
  const certFile = values['PARLEY_TLS_CERT'];
  const keyFile = values['PARLEY_TLS_KEY'];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError('TLS needs both a certificate and a key');
  }
  let tls: ServerConfig['tls'];
  if (certFile !== undefined && keyFile !== undefined) {
    try {
      tls = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
    } catch {
      throw new ConfigError('cannot read the TLS certificate or key');
    }
  }
  const databaseUrl = nonEmpty(values['DATABASE_URL']);
  const redisUrl = nonEmpty(values['REDIS_URL']);
  const storage = oneOf(
    'storage',
    values['PARLEY_STORAGE'] ?? (databaseUrl === undefined ? 'sqlite' : 'pg'),
    ['sqlite', 'memory', 'pg'],
  );
  if (storage === 'pg' && databaseUrl === undefined)
    throw new ConfigError('storage pg needs --database-url (or DATABASE_URL)');
  if (databaseUrl !== undefined)
    checkUrl('database-url', databaseUrl, ['postgres:', 'postgresql:']);
  if (redisUrl !== undefined) checkUrl('redis-url', redisUrl, ['redis:', 'rediss:']);
  return {
    host: values['PARLEY_HOST'] ?? DEFAULT_HOST,
    port,
    dataDir: values['PARLEY_DATA_DIR'] ?? DEFAULT_DATA_DIR,
    storage,
    databaseUrl,
    pgPoolSize: integer(
      'pg-pool-size',
      values['PARLEY_PG_POOL_SIZE'],
      PG_DEFAULT_POOL_SIZE,
      1,
      MAX_PG_POOL_SIZE,
    ),
    redisUrl,
    sqliteSync: oneOf('sqlite-sync', values['PARLEY_SQLITE_SYNC'] ?? 'FULL', ['FULL', 'NORMAL']),
    groupCommit: {
      maxBatch: integer(
        'group-commit-max',
        values['PARLEY_GROUP_COMMIT_MAX'],
        relayLimits.GROUP_COMMIT_MAX_BATCH,
        1,
        MAX_GROUP_COMMIT_BATCH,
      ),
      windowMs: integer(
        'group-commit-window-ms',
        values['PARLEY_GROUP_COMMIT_WINDOW_MS'],
        storage === 'pg'
          ? relayLimits.PG_GROUP_COMMIT_WINDOW_MS
          : relayLimits.GROUP_COMMIT_WINDOW_MS,
        0,
        MAX_GROUP_COMMIT_WINDOW_MS,
      ),
    },
    tls,
    logLevel: oneOf('log-level', values['PARLEY_LOG_LEVEL'] ?? 'info', LOG_LEVELS),
    rateLimits: values['PARLEY_RATE_LIMIT'] !== 'off',
    metricsToken: metricsToken(env['PARLEY_METRICS_TOKEN']),
    webDir: values['PARLEY_WEB_DIR'] ?? 'default',
    allowedOrigins: origins(values['PARLEY_ALLOW_ORIGINS']),
    keyTransparency: keyTransparency(values['PARLEY_KT'] ?? 'spawn'),
    ktPeriod: integer(
      'kt-period',
      values['PARLEY_KT_PERIOD'],
      DEFAULT_KT_PERIOD_MS,
      MIN_KT_PERIOD_MS,
      MAX_KT_PERIOD_MS,
    ),
  };
}

function origins(text: string | undefined): string[] {
  const list = (text ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  if (list.length > MAX_ALLOWED_ORIGINS)
    throw new ConfigError(`allow-origin takes at most ${MAX_ALLOWED_ORIGINS} origins`);
  return list.map((o) => {
    const origin = relayOrigin(o);
    if (origin === undefined)
      throw new ConfigError('allow-origin takes http(s)://host[:port] origins, nothing more');
    return origin;
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Checks the scheme; the message never repeats the URL (it may hold a password). */
function checkUrl(name: string, value: string, schemes: readonly string[]): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a URL`);
  }
  if (!schemes.includes(url.protocol))
    throw new ConfigError(`${name} must start with ${schemes.map((x) => `${x}//`).join(' or ')}`);
}

function integer(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer from ${String(min)} to ${String(max)}`);
  return n;
}

function metricsToken(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(value))
    throw new ConfigError(
      `PARLEY_METRICS_TOKEN must be at least ${String(MIN_METRICS_TOKEN_LENGTH)} characters without spaces`,
    );
  return value;
}

function keyTransparency(value: string): ServerConfig['keyTransparency'] {
  if (value === 'spawn' || value === 'off') return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('kt must be spawn, off, or an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError('kt must be spawn, off, or an http(s) URL');
  return url;
}
