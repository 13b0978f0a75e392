import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { limits } from '@parley/api';
import { relayLimits } from '@parley/relay';
import { errorCode, link, newRelay, randomKey, register, type TestDevice } from './support.js';

const signed = (keyId: number) => ({ keyId, publicKey: randomKey(), signature: randomKey(64) });
const oneTime = (keyId: number) => ({ keyId, publicKey: randomKey() });

interface Bundle {
  identityKey: string;
  devices: {
    deviceId: number;
    registrationId: number;
    signedPreKey: { keyId: number } | null;
    kyberPreKey: { keyId: number; lastResort: boolean } | null;
    preKey: { keyId: number } | null;
  }[];
}

describe('keys', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await newRelay();
  });
  after(async () => {
    await app.close();
  });

  const upload = (d: TestDevice, payload: object) =>
    app.inject({ method: 'PUT', url: '/v1/keys', headers: { authorization: d.auth }, payload });
  const bundle = (by: TestDevice, of: string, query = '') =>
    app.inject({
      method: 'GET',
      url: `/v1/keys/${of}${query}`,
      headers: { authorization: by.auth },
    });

  test('upload, counts and a bundle per device that consumes one-time keys, then falls back to last resort', async () => {
    const alice = await register(app, 'k_alice');
    const alice2 = await link(app, alice);
    const bob = await register(app, 'k_bob');
    for (const d of [alice, alice2]) {
      const res = await upload(d, {
        signedPreKey: signed(1),
        kyberLastResortPreKey: signed(1000),
        kyberPreKeys: [signed(11)],
        preKeys: [oneTime(21), oneTime(22)],
      });
      assert.equal(res.statusCode, 204);
    }
    const counts = await app.inject({
      method: 'GET',
      url: '/v1/keys/status',
      headers: { authorization: alice.auth },
    });
    assert.deepEqual(counts.json(), {
      preKeys: 2,
      kyberPreKeys: 1,
      hasSignedPreKey: true,
      hasKyberLastResortPreKey: true,
      low: true,
    });
    const first = (await bundle(bob, alice.accountId)).json<Bundle>();
    assert.deepEqual(
      first.devices.map((d) => [
        d.deviceId,
        d.preKey?.keyId,
        d.kyberPreKey?.keyId,
        d.kyberPreKey?.lastResort,
      ]),
      [
        [1, 21, 11, false],
        [2, 21, 11, false],
      ],
    );
    assert.equal(first.devices[1]?.registrationId, alice2.registrationId);
    const second = (await bundle(bob, alice.accountId, '?deviceId=1')).json<Bundle>();
    assert.deepEqual(
      second.devices.map((d) => [
        d.deviceId,
        d.preKey?.keyId,
        d.kyberPreKey?.keyId,
        d.kyberPreKey?.lastResort,
      ]),
      [[1, 22, 1000, true]],
    );
    const third = (await bundle(bob, alice.accountId, '?deviceId=1')).json<Bundle>();
    assert.equal(third.devices[0]?.preKey, null, 'no one-time EC key left');
    assert.equal(third.devices[0].signedPreKey?.keyId, 1);
  });

  test('signed and last-resort keys are replaced by a new upload', async () => {
    const carol = await register(app, 'k_carol');
    await upload(carol, { signedPreKey: signed(1), kyberLastResortPreKey: signed(2) });
    await upload(carol, { signedPreKey: signed(5) });
    const b = (await bundle(carol, carol.accountId)).json<Bundle>();
    assert.equal(b.devices[0]?.signedPreKey?.keyId, 5);
    assert.equal(b.devices[0].kyberPreKey?.keyId, 2);
  });

  test('concurrent bundle fetches never hand out the same one-time key', async () => {
    const dave = await register(app, 'k_dave');
    const eve = await register(app, 'k_eve');
    await upload(dave, {
      preKeys: Array.from({ length: 50 }, (_, i) => oneTime(i + 1)),
      kyberPreKeys: Array.from({ length: 50 }, (_, i) => signed(i + 1)),
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => bundle(eve, dave.accountId)),
    );
    const ec = results.map((r) => r.json<Bundle>().devices[0]?.preKey?.keyId);
    const kyber = results.map((r) => r.json<Bundle>().devices[0]?.kyberPreKey?.keyId);
    assert.equal(new Set(ec).size, 50);
    assert.equal(new Set(kyber).size, 50);
    assert.ok(ec.every((id) => id !== undefined));
  });

  test('ACCOUNT_NOT_FOUND and DEVICE_NOT_FOUND (404) for bundles', async () => {
    const f = await register(app, 'k_frank');
    const noAccount = await bundle(f, 'missing');
    assert.equal(noAccount.statusCode, 404);
    assert.equal(errorCode(noAccount), 'ACCOUNT_NOT_FOUND');
    const noDevice = await bundle(f, f.accountId, '?deviceId=3');
    assert.equal(noDevice.statusCode, 404);
    assert.equal(errorCode(noDevice), 'DEVICE_NOT_FOUND');
  });

  test('TOO_MANY_KEYS (409) past the per-device store; INVALID_REQUEST past the per-upload bound', async () => {
    const g = await register(app, 'k_gina');
    const perUpload = limits.MAX_PREKEYS_PER_UPLOAD;
    const uploads = Math.ceil(relayLimits.MAX_ONE_TIME_KEYS_PER_DEVICE / perUpload);
    for (let u = 0; u < uploads; u++) {
      const res = await upload(g, {
        preKeys: Array.from({ length: perUpload }, (_, i) => oneTime(u * perUpload + i)),
      });
      assert.equal(res.statusCode, 204);
    }
    const over = await upload(g, { preKeys: [oneTime(999_999)] });
    assert.equal(over.statusCode, 409);
    assert.equal(errorCode(over), 'TOO_MANY_KEYS');
    const batch = await upload(g, {
      preKeys: Array.from({ length: perUpload + 1 }, (_, i) => oneTime(i)),
    });
    assert.equal(batch.statusCode, 400);
    assert.equal(errorCode(batch), 'INVALID_REQUEST');
  });
});
