import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { limits } from '@parley/api';
import { relayLimits } from '@parley/relay';
import { errorCode, newRelay, register } from './support.js';

test('attachments: upload opaque bytes, download them by an unguessable id until expiry', async () => {
  let clock = 5_000;
  const app = await newRelay({ now: () => clock });
  const alice = await register(app, 'alice');
  const bob = await register(app, 'bob');
  const blob = randomBytes(100_000);
  const up = await app.inject({
    method: 'POST',
    url: '/v1/attachments',
    headers: { authorization: alice.auth, 'content-type': 'application/octet-stream' },
    payload: blob,
  });
  assert.equal(up.statusCode, 201);
  const { attachmentId, expiresAt } = up.json<{ attachmentId: string; expiresAt: number }>();
  assert.match(attachmentId, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(expiresAt, clock + relayLimits.ATTACHMENT_TTL_MS);
  const down = await app.inject({
    method: 'GET',
    url: `/v1/attachments/${attachmentId}`,
    headers: { authorization: bob.auth },
  });
  assert.equal(down.statusCode, 200);
  assert.equal(down.headers['content-type'], 'application/octet-stream');
  assert.ok(Buffer.compare(down.rawPayload, blob) === 0);
  const unknown = await app.inject({
    method: 'GET',
    url: '/v1/attachments/abc',
    headers: { authorization: bob.auth },
  });
  assert.equal(unknown.statusCode, 404);
  assert.equal(errorCode(unknown), 'ATTACHMENT_NOT_FOUND');
  clock = expiresAt;
  const expired = await app.inject({
    method: 'GET',
    url: `/v1/attachments/${attachmentId}`,
    headers: { authorization: bob.auth },
  });
  assert.equal(errorCode(expired), 'ATTACHMENT_NOT_FOUND');
  const anon = await app.inject({
    method: 'POST',
    url: '/v1/attachments',
    headers: { 'content-type': 'application/octet-stream' },
    payload: blob,
  });
  assert.equal(errorCode(anon), 'UNAUTHORIZED');
  await app.close();
});

test('attachments: deleting the uploading account deletes its attachments', async () => {
  const app = await newRelay();
  const carol = await register(app, 'carol');
  const bob = await register(app, 'bob');
  const upload = async (auth: string): Promise<string> => {
    const up = await app.inject({
      method: 'POST',
      url: '/v1/attachments',
      headers: { authorization: auth, 'content-type': 'application/octet-stream' },
      payload: randomBytes(1_000),
    });
    assert.equal(up.statusCode, 201);
    return up.json<{ attachmentId: string }>().attachmentId;
  };
  const carols = await upload(carol.auth);
  const bobs = await upload(bob.auth);
  const gone = await app.inject({
    method: 'DELETE',
    url: '/v1/accounts/me',
    headers: { authorization: carol.auth },
  });
  assert.equal(gone.statusCode, 204);
  const get = (id: string) =>
    app.inject({
      method: 'GET',
      url: `/v1/attachments/${id}`,
      headers: { authorization: bob.auth },
    });
  assert.equal(errorCode(await get(carols)), 'ATTACHMENT_NOT_FOUND');
  assert.equal((await get(bobs)).statusCode, 200, "other accounts' attachments stay");
  await app.close();
});

test('/metrics with an operator token: 401 without it or with a wrong one, 200 with it', async () => {
  const token = 'operator-metrics-token-0123456789';
  const app = await newRelay({ metricsToken: token });
  const get = (authorization?: string) =>
    app.inject({
      method: 'GET',
      url: '/metrics',
      ...(authorization === undefined ? {} : { headers: { authorization } }),
    });
  for (const wrong of [undefined, 'Bearer nope', `Bearer ${token}x`, `Basic ${token}`]) {
    const res = await get(wrong);
    assert.equal(res.statusCode, 401, String(wrong));
    assert.equal(errorCode(res), 'UNAUTHORIZED');
  }
  const ok = await get(`Bearer ${token}`);
  assert.equal(ok.statusCode, 200);
  assert.ok(ok.body.includes('parley_websocket_connections'));
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  await app.close();
});

test('attachments: BODY_TOO_LARGE (413) past MAX_ATTACHMENT_BYTES; UNSUPPORTED_MEDIA_TYPE (415); empty is INVALID_REQUEST', async () => {
  const app = await newRelay();
  const alice = await register(app, 'alice');
  const big = await app.inject({
    method: 'POST',
    url: '/v1/attachments',
    headers: { authorization: alice.auth, 'content-type': 'application/octet-stream' },
    payload: Buffer.alloc(limits.MAX_ATTACHMENT_BYTES + 1),
  });
  assert.equal(big.statusCode, 413);
  assert.equal(errorCode(big), 'BODY_TOO_LARGE');
  const text = await app.inject({
    method: 'POST',
    url: '/v1/attachments',
    headers: { authorization: alice.auth, 'content-type': 'text/plain' },
    payload: 'hello',
  });
  assert.equal(text.statusCode, 415);
  assert.equal(errorCode(text), 'UNSUPPORTED_MEDIA_TYPE');
  const empty = await app.inject({
    method: 'POST',
    url: '/v1/attachments',
    headers: { authorization: alice.auth, 'content-type': 'application/octet-stream' },
    payload: Buffer.alloc(0),
  });
  assert.equal(errorCode(empty), 'INVALID_REQUEST');
  await app.close();
});

test('GET /health reports the storage; GET /metrics is Prometheus text with the relay series', async () => {
  const app = await newRelay();
  const alice = await register(app, 'alice');
  const bob = await register(app, 'bob');
  await app.inject({
    method: 'POST',
    url: '/v1/messages',
    headers: { authorization: alice.auth },
    payload: {
      clientMessageId: 'm',
      destinations: [
        {
          accountId: bob.accountId,
          deviceId: 1,
          registrationId: bob.registrationId,
          type: 1,
          content: 'AAAA',
        },
      ],
    },
  });
  const health = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json(), { status: 'ok', storage: 'memory' });
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(metrics.statusCode, 200);
  assert.match(String(metrics.headers['content-type']), /^text\/plain/);
  for (const series of [
    'parley_websocket_connections 0',
    'parley_queued_messages 1',
    'parley_messages_in_total 1',
    'parley_http_requests_total{route="/v1/messages",status="200"} 1',
    'parley_send_duration_seconds_count 1',
  ]) {
    assert.ok(metrics.body.includes(series), series);
  }
  assert.ok(!metrics.body.includes(alice.accountId), 'no identifiers in metrics');
  const notFound = await app.inject({ method: 'GET', url: '/v2/nothing' });
  assert.equal(notFound.statusCode, 404);
  assert.equal(errorCode(notFound), 'NOT_FOUND');
  await app.close();
});

test('concurrent attachment uploads are bounded by MAX_CONCURRENT_UPLOADS; the rest get UNAVAILABLE (503)', async () => {
  const app = await newRelay();
  const alice = await register(app, 'alice');
  const n = relayLimits.MAX_CONCURRENT_UPLOADS + 4;
  const results = await Promise.all(
    Array.from({ length: n }, () =>
      app.inject({
        method: 'POST',
        url: '/v1/attachments',
        headers: { authorization: alice.auth, 'content-type': 'application/octet-stream' },
        payload: randomBytes(1_000_000),
      }),
    ),
  );
  const statuses = results.map((r) => r.statusCode);
  assert.ok(
    statuses.filter((s) => s === 201).length >= relayLimits.MAX_CONCURRENT_UPLOADS,
    statuses.join(','),
  );
  for (const r of results.filter((x) => x.statusCode !== 201))
    assert.equal(errorCode(r), 'UNAVAILABLE');
  const after = await app.inject({
    method: 'POST',
    url: '/v1/attachments',
    headers: { authorization: alice.auth, 'content-type': 'application/octet-stream' },
    payload: randomBytes(10),
  });
  assert.equal(after.statusCode, 201, 'slots are released');
  await app.close();
});
