import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { limits } from '@parley/api';
import { errorCode, newRelay, register, send } from './support.js';

test('oversized JSON bodies are BODY_TOO_LARGE (413); the relay keeps serving', async () => {
  const app = await newRelay();
  const alice = await register(app, 'alice');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/messages',
    headers: { authorization: alice.auth, 'content-type': 'application/json' },
    payload: `{"clientMessageId":"x","destinations":[],"pad":"${'a'.repeat(limits.MAX_JSON_BODY_BYTES)}"}`,
  });
  assert.equal(res.statusCode, 413);
  assert.equal(errorCode(res), 'BODY_TOO_LARGE');
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  await app.close();
});

test('a ciphertext past MAX_CIPHERTEXT_BYTES is INVALID_REQUEST', async () => {
  const app = await newRelay();
  const alice = await register(app, 'alice');
  const bob = await register(app, 'bob');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/messages',
    headers: { authorization: alice.auth },
    payload: {
      clientMessageId: 'big',
      destinations: [
        {
          accountId: bob.accountId,
          deviceId: 1,
          registrationId: bob.registrationId,
          type: 1,
          content: Buffer.alloc(limits.MAX_CIPHERTEXT_BYTES + 3).toString('base64'),
        },
      ],
    },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(errorCode(res), 'INVALID_REQUEST');
  await app.close();
});

test('malformed JSON, wrong types, prototype pollution and bad base64 get their codes', async () => {
  const app = await newRelay();
  const alice = await register(app, 'alice');
  const bad = async (payload: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { authorization: alice.auth, 'content-type': 'application/json' },
      payload,
    });
  assert.equal(errorCode(await bad('{"clientMessageId":')), 'MALFORMED_JSON');
  assert.equal(errorCode(await bad('')), 'MALFORMED_JSON');
  assert.equal(errorCode(await bad('[]')), 'INVALID_REQUEST');
  assert.equal(errorCode(await bad('{"__proto__":{"x":1}}')), 'MALFORMED_JSON');
  assert.equal(
    errorCode(await bad('{"clientMessageId":"x","destinations":"nope"}')),
    'INVALID_REQUEST',
  );
  const badB64 = await app.inject({
    method: 'PUT',
    url: '/v1/device-list',
    headers: { authorization: alice.auth },
    payload: { version: 1, blob: 'A===' },
  });
  assert.equal(errorCode(badB64), 'INVALID_REQUEST');
  await app.close();
});

test('fuzz: arbitrary JSON bodies on every body route never produce a 5xx', async () => {
  const app = await newRelay();
  const alice = await register(app, 'alice');
  const routes = [
    ['POST', '/v1/accounts'],
    ['POST', '/v1/devices'],
    ['PUT', '/v1/device-list'],
    ['PUT', '/v1/keys'],
    ['POST', '/v1/messages'],
    ['POST', '/v1/messages/acks'],
    ['PUT', '/v1/provisioning/abc'],
  ] as const;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes), fc.jsonValue(), async ([method, url], body) => {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: alice.auth, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      if (res.statusCode >= 500) return false;
      return res.statusCode < 400 || typeof errorCode(res) === 'string';
    }),
    { numRuns: 300, seed: 4 },
  );
  await app.close();
});

test('floods past the per-IP and per-account rate limits get RATE_LIMITED (429) with Retry-After; others keep being served', async () => {
  const clock = 1_000;
  const app = await newRelay({
    now: () => clock,
    rateLimits: { ip: { perSecond: 1, burst: 30 }, account: { perSecond: 1, burst: 5 } },
  });
  const alice = await register(app, 'alice');
  const bob = await register(app, 'bob');
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await send(app, alice, [bob], `f-${i}`)).statusCode);
  assert.deepEqual(statuses.slice(0, 4), [200, 200, 200, 200]);
  const limited = await send(app, alice, [bob], 'f-x');
  assert.equal(limited.statusCode, 429);
  assert.equal(errorCode(limited), 'RATE_LIMITED');
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  const other = await app.inject({
    method: 'GET',
    url: '/v1/devices',
    headers: { authorization: bob.auth, 'x-forwarded-for': '10.0.0.9' },
  });
  assert.equal(other.statusCode, 200, 'another account from the same address is still served');
  let ipLimited = 0;
  for (let i = 0; i < 40; i++) {
    const res = await app.inject({ method: 'GET', url: '/health', remoteAddress: '10.1.1.1' });
    if (res.statusCode === 429) ipLimited++;
  }
  assert.ok(ipLimited >= 10, `per-IP limit applied (${ipLimited})`);
  const elsewhere = await app.inject({ method: 'GET', url: '/health', remoteAddress: '10.2.2.2' });
  assert.equal(elsewhere.statusCode, 200, 'another address is unaffected');
  await app.close();
});

test('huge batches: more acks than MAX_ACKS_PER_REQUEST, more keys than MAX_PREKEYS_PER_UPLOAD are INVALID_REQUEST', async () => {
  const app = await newRelay();
  const alice = await register(app, 'alice');
  const acks = await app.inject({
    method: 'POST',
    url: '/v1/messages/acks',
    headers: { authorization: alice.auth },
    payload: { guids: Array.from({ length: limits.MAX_ACKS_PER_REQUEST + 1 }, (_, i) => `g${i}`) },
  });
  assert.equal(acks.statusCode, 400);
  assert.equal(errorCode(acks), 'INVALID_REQUEST');
  const keys = await app.inject({
    method: 'PUT',
    url: '/v1/keys',
    headers: { authorization: alice.auth },
    payload: {
      preKeys: Array.from({ length: limits.MAX_PREKEYS_PER_UPLOAD + 1 }, (_, i) => ({
        keyId: i,
        publicKey: 'AAAA',
      })),
    },
  });
  assert.equal(errorCode(keys), 'INVALID_REQUEST');
  await app.close();
});
