import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigError,
  DEFAULT_DATA_DIR,
  DEFAULT_PORT,
  MAX_GROUP_COMMIT_BATCH,
  MAX_GROUP_COMMIT_WINDOW_MS,
  MIN_METRICS_TOKEN_LENGTH,
  parseConfig,
} from '../src/config.js';
import { relayLimits } from '@parley/relay';

test('defaults: 127.0.0.1:8080, SQLite in ./.parley/data, rate limits on, no TLS', () => {
  const c = parseConfig([], {});
  assert.ok(c !== 'help');
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, DEFAULT_PORT);
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, DEFAULT_DATA_DIR);
  assert.equal(c.storage, 'sqlite');
  assert.equal(c.sqliteSync, 'FULL');
  assert.equal(c.tls, undefined);
  assert.equal(c.rateLimits, true);
});

test('environment overrides defaults; flags override the environment', () => {
  const env = {
    PARLEY_HOST: '0.0.0.0',
    PARLEY_PORT: '9000',
    PARLEY_DATA_DIR: '/srv/p',
    PARLEY_RATE_LIMIT: 'off',
  };
  const fromEnv = parseConfig([], env);
  assert.ok(fromEnv !== 'help');
  assert.deepEqual(
    [fromEnv.host, fromEnv.port, fromEnv.dataDir, fromEnv.rateLimits],
    ['0.0.0.0', 9000, '/srv/p', false],
  );
  const fromFlags = parseConfig(
    ['--port', '9100', '--data-dir=/tmp/x', '--storage', 'memory'],
    env,
  );
  assert.ok(fromFlags !== 'help');
  assert.deepEqual(
    [fromFlags.port, fromFlags.dataDir, fromFlags.storage],
    [9100, '/tmp/x', 'memory'],
  );
});

test('bad values are ConfigErrors, not crashes', () => {
  for (const argv of [
    ['--port', '70000'],
    ['--port', 'x'],
    ['--storage', 'redis'],
    ['--log-level', 'loud'],
    ['--tls-cert', '/nonexistent'],
    ['--tls-cert', '/nonexistent', '--tls-key', '/nonexistent'],
    ['--bogus'],
    ['--port'],
  ]) {
    assert.throws(() => parseConfig(argv, {}), ConfigError, argv.join(' '));
  }
  assert.equal(parseConfig(['--help'], {}), 'help');
});

test('PARLEY_METRICS_TOKEN: from the environment only, at least MIN_METRICS_TOKEN_LENGTH characters', () => {
  const none = parseConfig([], {});
  assert.ok(none !== 'help');
  assert.equal(none.metricsToken, undefined);
  const token = 'k'.repeat(MIN_METRICS_TOKEN_LENGTH);
  const set = parseConfig([], { PARLEY_METRICS_TOKEN: token });
  assert.ok(set !== 'help');
  assert.equal(set.metricsToken, token);
  for (const bad of ['short', `${token} x`]) {
    assert.throws(() => parseConfig([], { PARLEY_METRICS_TOKEN: bad }), ConfigError, bad);
  }
  assert.throws(() => parseConfig(['--metrics-token', token], {}), ConfigError);
});

test('group commit: defaults from the relay, flags and environment within bounds', () => {
  const d = parseConfig([], {});
  assert.ok(d !== 'help');
  assert.deepEqual(d.groupCommit, {
    maxBatch: relayLimits.GROUP_COMMIT_MAX_BATCH,
    windowMs: relayLimits.GROUP_COMMIT_WINDOW_MS,
  });
  const c = parseConfig(['--group-commit-max', '64', '--group-commit-window-ms=5'], {
    PARLEY_GROUP_COMMIT_MAX: '9',
  });
  assert.ok(c !== 'help');
  assert.deepEqual(c.groupCommit, { maxBatch: 64, windowMs: 5 });
  // PostgreSQL's window is longer by default (a window's fixed cost is larger there).
  const pg = parseConfig(['--storage', 'pg'], { DATABASE_URL: 'postgres://127.0.0.1/x' });
  assert.ok(pg !== 'help');
  assert.equal(pg.groupCommit.windowMs, relayLimits.PG_GROUP_COMMIT_WINDOW_MS);
  assert.notEqual(relayLimits.PG_GROUP_COMMIT_WINDOW_MS, relayLimits.GROUP_COMMIT_WINDOW_MS);
  const pgSet = parseConfig(['--group-commit-window-ms', '7'], {
    DATABASE_URL: 'postgres://127.0.0.1/x',
  });
  assert.ok(pgSet !== 'help');
  assert.equal(pgSet.storage, 'pg');
  assert.equal(pgSet.groupCommit.windowMs, 7);
  const e = parseConfig([], { PARLEY_GROUP_COMMIT_WINDOW_MS: '0' });
  assert.ok(e !== 'help');
  assert.equal(e.groupCommit.windowMs, 0);
  for (const bad of [
    ['--group-commit-max', '0'],
    ['--group-commit-max', String(MAX_GROUP_COMMIT_BATCH + 1)],
    ['--group-commit-window-ms', '-1'],
    ['--group-commit-window-ms', '1.5'],
    ['--group-commit-window-ms', String(MAX_GROUP_COMMIT_WINDOW_MS + 1)],
  ])
    assert.throws(() => parseConfig(bad, {}), ConfigError, bad.join(' '));
});

test('scale-out: DATABASE_URL picks PostgreSQL, REDIS_URL the Redis fan-out; flags win; default stays SQLite in-process', () => {
  const none = parseConfig([], {});
  assert.ok(none !== 'help');
  assert.deepEqual(
    [none.storage, none.databaseUrl, none.redisUrl],
    ['sqlite', undefined, undefined],
  );
  const env = parseConfig([], {
    DATABASE_URL: 'postgres://relay:secret@db:5432/parley',
    REDIS_URL: 'redis://cache:6379',
  });
  assert.ok(env !== 'help');
  assert.equal(env.storage, 'pg');
  assert.equal(env.databaseUrl, 'postgres://relay:secret@db:5432/parley');
  assert.equal(env.redisUrl, 'redis://cache:6379');
  const flags = parseConfig(
    ['--database-url', 'postgresql://x@h/d', '--redis-url=redis://r:1', '--pg-pool-size', '4'],
    {},
  );
  assert.ok(flags !== 'help');
  assert.deepEqual(
    [flags.storage, flags.databaseUrl, flags.redisUrl, flags.pgPoolSize],
    ['pg', 'postgresql://x@h/d', 'redis://r:1', 4],
  );
  // An explicit storage wins over the URL's presence.
  const sqlite = parseConfig(['--storage', 'sqlite'], { DATABASE_URL: 'postgres://h/d' });
  assert.ok(sqlite !== 'help');
  assert.equal(sqlite.storage, 'sqlite');
});

test('scale-out: bad database and Redis settings are refused without echoing the URL', () => {
  assert.throws(() => parseConfig(['--storage', 'pg'], {}), /needs --database-url/);
  for (const [args, pattern] of [
    [['--database-url', 'mysql://u:hunter2@h/d'], /database-url must start with postgres/],
    [['--redis-url', 'http://u:hunter2@h'], /redis-url must start with redis/],
    [['--database-url', 'not a url hunter2'], /database-url is not a URL/],
    [['--pg-pool-size', '0'], /pg-pool-size/],
  ] as const) {
    assert.throws(
      () => parseConfig(args, {}),
      (e: Error) =>
        e instanceof ConfigError && pattern.test(e.message) && !e.message.includes('hunter2'),
    );
  }
});
