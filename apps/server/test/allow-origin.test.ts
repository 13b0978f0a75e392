/**
 * Origins allowed by configuration (`--allow-origin`, for `parley web serve`): they get CORS
 * answers and the WebSocket; any other browser origin gets neither; a client sending no Origin
 * (the CLI) is unaffected.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryStorage, createRelay } from '@parley/relay';
import WebSocket from 'ws';
import { ConfigError, parseConfig } from '../src/config.js';

const ALLOWED = 'http://127.0.0.1:8088';

function upgrade(url: string, origin?: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
}

test('an allowed origin gets CORS answers and the WebSocket; others do not', async () => {
  const app = await createRelay({
    storage: createMemoryStorage(),
    rateLimits: false,
    sweepIntervalMs: false,
    allowedOrigins: [ALLOWED],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/accounts',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], ALLOWED);
    assert.equal(preflight.headers['access-control-allow-headers'], 'authorization, content-type');
    const health = await app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: ALLOWED },
    });
    assert.equal(health.headers['access-control-allow-origin'], ALLOWED);
    const other = await app.inject({
      method: 'GET',
      url: '/health',
      headers: { origin: 'http://evil.example' },
    });
    assert.equal(other.headers['access-control-allow-origin'], undefined);

    const address = app.server.address();
    assert.ok(typeof address === 'object' && address !== null);
    const ws = `ws://127.0.0.1:${address.port}/v1/websocket`;
    assert.equal(await upgrade(ws, ALLOWED), 101);
    assert.equal(await upgrade(ws, `http://127.0.0.1:${address.port}`), 101);
    assert.equal(await upgrade(ws), 101);
    assert.equal(await upgrade(ws, 'http://evil.example'), 403);
  } finally {
    await app.close();
  }
});

test('--allow-origin takes bare http(s) origins, normalised', () => {
  const c = parseConfig(['--allow-origin', 'http://127.0.0.1:8088, HTTPS://Web.Example/'], {});
  assert.ok(c !== 'help');
  assert.deepEqual(c.allowedOrigins, ['http://127.0.0.1:8088', 'https://web.example']);
  assert.throws(() => parseConfig(['--allow-origin', 'http://a/path'], {}), ConfigError);
  assert.throws(() => parseConfig(['--allow-origin', '*'], {}), ConfigError);
  const none = parseConfig([], {});
  assert.ok(none !== 'help');
  assert.deepEqual(none.allowedOrigins, []);
});
