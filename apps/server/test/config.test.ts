import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigError,
  DEFAULT_DATA_DIR,
  DEFAULT_PORT,
  MIN_METRICS_TOKEN_LENGTH,
  parseConfig,
} from '../src/config.js';

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
