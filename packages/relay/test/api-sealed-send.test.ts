// Unauthenticated (sealed sender) sends: admitted by the recipient's delivery token only, stored
// with no sender, refused with stable codes (nothing stored), rate-limited per address and per
// token without starving others, and limited to a share of each queue. Also the encrypted
// profile routes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { limits } from '@parley/api';
import { createMemoryStorage, type Storage } from '@parley/relay';
import { b64, errorCode, link, newRelay, register, send, type TestDevice } from './support.js';

const token = (): string => b64(randomBytes(32));

const putToken = (app: FastifyInstance, d: TestDevice, deliveryToken: string) =>
  app.inject({
    method: 'PUT',
    url: '/v1/sealed-sender/delivery-token',
    headers: { authorization: d.auth },
    payload: { deliveryToken },
  });

const sealed = (
  app: FastifyInstance,
  to: readonly TestDevice[],
  deliveryToken: string,
  text = 'sealed',
  remoteAddress = '10.0.0.1',
) =>
  app.inject({
    method: 'POST',
    url: '/v1/sealed-sender/messages',
    remoteAddress,
    payload: {
      accountId: to[0]?.accountId ?? 'nobody',
      deliveryToken,
      clientMessageId: `c-${randomBytes(4).toString('hex')}`,
      destinations: to.map((d) => ({
        deviceId: d.deviceId,
        registrationId: d.registrationId,
        content: b64(Buffer.from(`${text}:${d.deviceId}`)),
      })),
    },
  });

interface Page {
  messages: { senderAccountId: string; senderDeviceId: number; type: number; content: string }[];
}
const fetchPage = async (app: FastifyInstance, d: TestDevice): Promise<Page> =>
  (
    await app.inject({ method: 'GET', url: '/v1/messages', headers: { authorization: d.auth } })
  ).json<Page>();

describe('sealed sends', () => {
  test('a sealed send with the delivery token is queued for every device with no sender', async () => {
    const app = await newRelay();
    const bob = await register(app, 'bob');
    const bob2 = await link(app, bob);
    const t = token();
    assert.equal((await putToken(app, bob, t)).statusCode, 204);
    const res = await sealed(app, [bob, bob2], t, 'hi');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(typeof res.json<{ serverTimestamp: number }>().serverTimestamp, 'number');
    for (const d of [bob, bob2]) {
      const [m, ...rest] = (await fetchPage(app, d)).messages;
      assert.equal(rest.length, 0);
      assert.equal(m?.senderAccountId, '');
      assert.equal(m.senderDeviceId, 0);
      assert.equal(m.type, limits.SEALED_SENDER_ENVELOPE_TYPE);
      assert.equal(m.content, b64(Buffer.from(`hi:${d.deviceId}`)));
    }
    await app.close();
  });

  test('a wrong, absent, replaced or revoked token and an unknown account get DELIVERY_TOKEN_INVALID; nothing is stored', async () => {
    const app = await newRelay();
    const bob = await register(app, 'bob');
    const refused = async (to: TestDevice[], t: string): Promise<void> => {
      const res = await sealed(app, to, t);
      assert.equal(res.statusCode, 401);
      assert.equal(errorCode(res), 'DELIVERY_TOKEN_INVALID');
    };
    const first = token();
    await refused([bob], first); // none registered yet
    await putToken(app, bob, first);
    await refused([bob], token());
    await refused([{ ...bob, accountId: 'no-such-account' }], first);
    const second = token();
    await putToken(app, bob, second);
    await refused([bob], first); // replaced
    assert.equal((await sealed(app, [bob], second)).statusCode, 200);
    const revoke = await app.inject({
      method: 'DELETE',
      url: '/v1/sealed-sender/delivery-token',
      headers: { authorization: bob.auth },
    });
    assert.equal(revoke.statusCode, 204);
    await refused([bob], second);
    assert.equal((await fetchPage(app, bob)).messages.length, 1, 'only the accepted one');
    await app.close();
  });

  test('only the primary registers or revokes the token', async () => {
    const app = await newRelay();
    const bob = await register(app, 'bob');
    const bob2 = await link(app, bob);
    assert.equal(errorCode(await putToken(app, bob2, token())), 'FORBIDDEN');
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/sealed-sender/delivery-token',
      payload: { deliveryToken: token() },
    });
    assert.equal(errorCode(res), 'UNAUTHORIZED');
    await app.close();
  });

  test('a device-list mismatch answers as the authenticated route does, and stores nothing', async () => {
    const app = await newRelay();
    const bob = await register(app, 'bob');
    const bob2 = await link(app, bob);
    const t = token();
    await putToken(app, bob, t);
    const res = await sealed(app, [bob, { ...bob2, registrationId: bob2.registrationId + 1 }], t);
    assert.equal(errorCode(res), 'DEVICE_MISMATCH');
    const authed = await send(app, await register(app, 'carol'), [bob], 'x');
    assert.equal(errorCode(authed), 'DEVICE_MISMATCH');
    const details = (r: typeof res) => r.json<{ error: { details: unknown } }>().error.details;
    assert.deepEqual(details(res), {
      accounts: [{ accountId: bob.accountId, missing: [], extra: [], stale: [2] }],
    });
    assert.deepEqual(details(authed), {
      accounts: [{ accountId: bob.accountId, missing: [2], extra: [], stale: [] }],
    });
    const missing = await sealed(app, [bob], t);
    assert.deepEqual(details(missing), details(authed));
    assert.equal((await fetchPage(app, bob)).messages.length, 0);
    await app.close();
  });

  test('a flood from one address is limited there; other senders and the token still get through', async () => {
    const app = await newRelay({
      rateLimits: {
        ip: { perSecond: 1_000, burst: 1_000 },
        account: { perSecond: 1_000, burst: 1_000 },
        sealedIp: { perSecond: 0.001, burst: 5 },
        sealedToken: { perSecond: 0.001, burst: 8 },
      },
    });
    const bob = await register(app, 'bob');
    const t = token();
    await putToken(app, bob, t);
    const flood: number[] = [];
    for (let i = 0; i < 30; i++)
      flood.push((await sealed(app, [bob], t, `flood${i}`, '10.6.6.6')).statusCode);
    assert.deepEqual(flood.slice(0, 5), [200, 200, 200, 200, 200]);
    assert.ok(flood.slice(5).every((s) => s === 429));
    const limited = await sealed(app, [bob], t, 'more', '10.6.6.6');
    assert.equal(errorCode(limited), 'RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    // A legitimate sender elsewhere: the flood did not drain the token's bucket.
    const legit = await sealed(app, [bob], t, 'legit', '10.1.2.3');
    assert.equal(legit.statusCode, 200);
    const texts = (await fetchPage(app, bob)).messages.map((m) =>
      Buffer.from(m.content, 'base64').toString(),
    );
    assert.equal(texts.length, 6);
    assert.ok(texts.includes('legit:1'));
    // Many addresses at once are held by the token's bucket (8 in all).
    const spread: number[] = [];
    for (let i = 0; i < 5; i++)
      spread.push((await sealed(app, [bob], t, 'spread', `10.9.0.${i}`)).statusCode);
    assert.deepEqual(spread, [200, 200, 429, 429, 429]);
    // Authenticated sending is not affected.
    assert.equal((await send(app, await register(app, 'carol'), [bob], 'auth')).statusCode, 200);
    await app.close();
  });

  test('sealed envelopes fill at most SEALED_QUEUE_SHARE of a queue; authenticated ones still fit', async () => {
    const app = await newRelay({ limits: { maxQueueDepth: 4 } });
    const bob = await register(app, 'bob');
    const t = token();
    await putToken(app, bob, t);
    assert.equal((await sealed(app, [bob], t)).statusCode, 200);
    assert.equal((await sealed(app, [bob], t)).statusCode, 200);
    assert.equal(errorCode(await sealed(app, [bob], t)), 'QUEUE_FULL');
    const carol = await register(app, 'carol');
    assert.equal((await send(app, carol, [bob], 'a1')).statusCode, 200);
    assert.equal((await send(app, carol, [bob], 'a2')).statusCode, 200);
    assert.equal(errorCode(await send(app, carol, [bob], 'a3')), 'QUEUE_FULL');
    assert.equal((await fetchPage(app, bob)).messages.length, 4);
    await app.close();
  });

  test('fuzz: arbitrary bodies on the sealed route get a stable 4xx code and store nothing', async () => {
    let storage: Storage | undefined;
    const app = await newRelay({ storage: (storage = createMemoryStorage()) });
    const bob = await register(app, 'bob');
    const t = token();
    await putToken(app, bob, t);
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          accountId: fc.oneof(fc.constant(bob.accountId), fc.string()),
          deliveryToken: fc.oneof(fc.constant(t), fc.base64String(), fc.string()),
          clientMessageId: fc.string(),
          destinations: fc.array(
            fc.record({
              deviceId: fc.integer({ min: -2, max: 300 }),
              registrationId: fc.integer({ min: -2, max: 70_000 }),
              content: fc.oneof(fc.base64String(), fc.string()),
            }),
            { maxLength: 8 },
          ),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await app.inject({
          method: 'POST',
          url: '/v1/sealed-sender/messages',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(b),
        });
        if (res.statusCode === 200) return true; // a well-formed send with the real token
        return res.statusCode >= 400 && res.statusCode < 500 && typeof errorCode(res) === 'string';
      }),
      { numRuns: 400, seed: 18 },
    );
    // Whatever was accepted has no sender.
    const queued = await storage.reader.messages.list(bob.accountId, 1, 0, 1_000);
    assert.ok(queued.every((m) => m.senderAccountId === '' && m.senderDeviceId === 0));
    await app.close();
  });
});

describe('encrypted profiles', () => {
  test('the primary stores its profile, any device reads it, and it goes with the account', async () => {
    const app = await newRelay();
    const alice = await register(app, 'alice');
    const alice2 = await link(app, alice);
    const bob = await register(app, 'bob');
    const get = (who: TestDevice, accountId: string) =>
      app.inject({
        method: 'GET',
        url: `/v1/accounts/${accountId}/profile`,
        headers: { authorization: who.auth },
      });
    const put = (who: TestDevice, profile: string) =>
      app.inject({
        method: 'PUT',
        url: '/v1/profile',
        headers: { authorization: who.auth },
        payload: { profile },
      });
    assert.equal(errorCode(await get(bob, alice.accountId)), 'PROFILE_NOT_FOUND');
    assert.equal(errorCode(await get(bob, 'no-such-account')), 'ACCOUNT_NOT_FOUND');
    assert.equal(errorCode(await put(alice2, b64(Buffer.from('x')))), 'FORBIDDEN');
    const blob = b64(randomBytes(200));
    assert.equal((await put(alice, blob)).statusCode, 204);
    assert.deepEqual((await get(bob, alice.accountId)).json(), { profile: blob });
    const tooBig = b64(randomBytes(limits.MAX_PROFILE_BYTES + 3));
    assert.equal(errorCode(await put(alice, tooBig)), 'INVALID_REQUEST');
    const del = await app.inject({
      method: 'DELETE',
      url: '/v1/accounts/me',
      headers: { authorization: alice.auth },
    });
    assert.equal(del.statusCode, 204);
    assert.equal(errorCode(await get(bob, alice.accountId)), 'ACCOUNT_NOT_FOUND');
    await app.close();
  });
});
