import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { limits } from '@parley/api';
import { basicAuthHeader } from '@parley/relay';
import { b64, errorCode, link, newDeviceBody, newRelay, randomKey, register } from './support.js';

describe('accounts and devices', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await newRelay();
  });
  after(async () => {
    await app.close();
  });

  test('POST /v1/accounts creates the account with device 1; the username is folded to lower case', async () => {
    const alice = await register(app, 'Alice_01');
    assert.equal(alice.deviceId, 1);
    const res = await app.inject({
      method: 'GET',
      url: '/v1/accounts/by-username/ALICE_01',
      headers: { authorization: alice.auth },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ accountId: string }>().accountId, alice.accountId);
    assert.equal(res.json<{ username: string }>().username, 'alice_01');
  });

  test('POST /v1/accounts: USERNAME_TAKEN case-insensitively (409)', async () => {
    await register(app, 'taken.name');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { username: 'TAKEN.NAME', identityKey: randomKey(), device: newDeviceBody() },
    });
    assert.equal(res.statusCode, 409);
    assert.equal(errorCode(res), 'USERNAME_TAKEN');
  });

  test('POST /v1/accounts: INVALID_REQUEST for bad usernames, short secrets and unknown fields', async () => {
    for (const username of ['ab', 'a'.repeat(33), 'has space', 'dash-no', 'ünï']) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/accounts',
        payload: { username, identityKey: randomKey(), device: newDeviceBody() },
      });
      assert.equal(res.statusCode, 400, username);
      assert.equal(errorCode(res), 'INVALID_REQUEST');
    }
    const shortSecret = { ...newDeviceBody(), secret: b64(new Uint8Array(16)) };
    const res = await app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { username: 'shorty', identityKey: randomKey(), device: shortSecret },
    });
    assert.equal(errorCode(res), 'INVALID_REQUEST');
    const extra = await app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: {
        username: 'extra',
        identityKey: randomKey(),
        device: newDeviceBody(),
        admin: true,
      },
    });
    assert.equal(errorCode(extra), 'INVALID_REQUEST');
  });

  test('GET /v1/accounts/:id and by-username: ACCOUNT_NOT_FOUND (404) and UNAUTHORIZED (401)', async () => {
    const bob = await register(app, 'bob');
    const byId = await app.inject({
      method: 'GET',
      url: `/v1/accounts/${bob.accountId}`,
      headers: { authorization: bob.auth },
    });
    assert.equal(byId.statusCode, 200);
    assert.equal(byId.json<{ username: string }>().username, 'bob');
    const missing = await app.inject({
      method: 'GET',
      url: '/v1/accounts/nope',
      headers: { authorization: bob.auth },
    });
    assert.equal(missing.statusCode, 404);
    assert.equal(errorCode(missing), 'ACCOUNT_NOT_FOUND');
    const noName = await app.inject({
      method: 'GET',
      url: '/v1/accounts/by-username/nobody',
      headers: { authorization: bob.auth },
    });
    assert.equal(errorCode(noName), 'ACCOUNT_NOT_FOUND');
    const anon = await app.inject({ method: 'GET', url: `/v1/accounts/${bob.accountId}` });
    assert.equal(anon.statusCode, 401);
    assert.equal(errorCode(anon), 'UNAUTHORIZED');
    const wrong = await app.inject({
      method: 'GET',
      url: `/v1/accounts/${bob.accountId}`,
      headers: { authorization: basicAuthHeader(bob.accountId, 1, b64(new Uint8Array(32))) },
    });
    assert.equal(errorCode(wrong), 'UNAUTHORIZED');
    const unknownDevice = await app.inject({
      method: 'GET',
      url: `/v1/accounts/${bob.accountId}`,
      headers: { authorization: basicAuthHeader(bob.accountId, 4, bob.secret) },
    });
    assert.equal(errorCode(unknownDevice), 'UNAUTHORIZED');
    const garbage = await app.inject({
      method: 'GET',
      url: `/v1/accounts/${bob.accountId}`,
      headers: { authorization: 'Basic !!!' },
    });
    assert.equal(errorCode(garbage), 'UNAUTHORIZED');
  });

  test('linking: token from the primary, new device gets the lowest free id, list and removal', async () => {
    const carol = await register(app, 'carol');
    const second = await link(app, carol);
    assert.equal(second.deviceId, 2);
    const third = await link(app, carol);
    assert.equal(third.deviceId, 3);
    const list = await app.inject({
      method: 'GET',
      url: '/v1/devices',
      headers: { authorization: second.auth },
    });
    assert.deepEqual(
      list.json<{ devices: { deviceId: number }[] }>().devices.map((d) => d.deviceId),
      [1, 2, 3],
    );
    // A secondary may not remove another device (FORBIDDEN), but may remove itself.
    const forbidden = await app.inject({
      method: 'DELETE',
      url: '/v1/devices/3',
      headers: { authorization: second.auth },
    });
    assert.equal(forbidden.statusCode, 403);
    assert.equal(errorCode(forbidden), 'FORBIDDEN');
    const self = await app.inject({
      method: 'DELETE',
      url: '/v1/devices/2',
      headers: { authorization: second.auth },
    });
    assert.equal(self.statusCode, 204);
    const gone = await app.inject({
      method: 'GET',
      url: '/v1/devices',
      headers: { authorization: second.auth },
    });
    assert.equal(errorCode(gone), 'UNAUTHORIZED', 'a removed device cannot authenticate');
    const reused = await link(app, carol);
    assert.equal(reused.deviceId, 2, 'ids are reused from the lowest free one');
    const notFound = await app.inject({
      method: 'DELETE',
      url: '/v1/devices/5',
      headers: { authorization: carol.auth },
    });
    assert.equal(notFound.statusCode, 404);
    assert.equal(errorCode(notFound), 'DEVICE_NOT_FOUND');
    const primary = await app.inject({
      method: 'DELETE',
      url: '/v1/devices/1',
      headers: { authorization: carol.auth },
    });
    assert.equal(errorCode(primary), 'FORBIDDEN', 'the primary is removed by deleting the account');
  });

  test('linking: LINK_TOKEN_INVALID (403) for unknown and reused tokens; only the primary issues them', async () => {
    const dave = await register(app, 'dave');
    const tokenRes = await app.inject({
      method: 'POST',
      url: '/v1/devices/link-tokens',
      headers: { authorization: dave.auth },
    });
    assert.equal(tokenRes.statusCode, 201);
    const { linkToken } = tokenRes.json<{ linkToken: string }>();
    const first = await app.inject({
      method: 'POST',
      url: '/v1/devices',
      payload: { linkToken, device: newDeviceBody() },
    });
    assert.equal(first.statusCode, 201);
    const again = await app.inject({
      method: 'POST',
      url: '/v1/devices',
      payload: { linkToken, device: newDeviceBody() },
    });
    assert.equal(again.statusCode, 403);
    assert.equal(errorCode(again), 'LINK_TOKEN_INVALID');
    const made = await app.inject({
      method: 'POST',
      url: '/v1/devices',
      payload: { linkToken: 'made-up-token', device: newDeviceBody() },
    });
    assert.equal(errorCode(made), 'LINK_TOKEN_INVALID');
  });

  test('linking: TOO_MANY_DEVICES (409) past MAX_DEVICES_PER_ACCOUNT', async () => {
    const erin = await register(app, 'erin');
    for (let i = 1; i < limits.MAX_DEVICES_PER_ACCOUNT; i++) await link(app, erin);
    const tokenRes = await app.inject({
      method: 'POST',
      url: '/v1/devices/link-tokens',
      headers: { authorization: erin.auth },
    });
    const { linkToken } = tokenRes.json<{ linkToken: string }>();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/devices',
      payload: { linkToken, device: newDeviceBody() },
    });
    assert.equal(res.statusCode, 409);
    assert.equal(errorCode(res), 'TOO_MANY_DEVICES');
  });

  test('primary-only routes answer FORBIDDEN (403) to a linked device', async () => {
    const frank = await register(app, 'frank');
    const second = await link(app, frank);
    for (const [method, url, payload] of [
      ['POST', '/v1/devices/link-tokens', undefined],
      ['PUT', '/v1/device-list', { version: 1, blob: b64(new Uint8Array(8)) }],
      ['DELETE', '/v1/accounts/me', undefined],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: second.auth },
        ...(payload === undefined ? {} : { payload }),
      });
      assert.equal(res.statusCode, 403, url);
      assert.equal(errorCode(res), 'FORBIDDEN');
    }
  });

  test('signed device list: served as stored; a version that does not increase is DEVICE_LIST_VERSION_STALE (409)', async () => {
    const gina = await register(app, 'gina');
    const none = await app.inject({
      method: 'GET',
      url: `/v1/accounts/${gina.accountId}/device-list`,
      headers: { authorization: gina.auth },
    });
    assert.equal(none.statusCode, 404);
    assert.equal(errorCode(none), 'DEVICE_LIST_NOT_FOUND');
    const put = (version: number, fill: number) =>
      app.inject({
        method: 'PUT',
        url: '/v1/device-list',
        headers: { authorization: gina.auth },
        payload: { version, blob: b64(new Uint8Array(40).fill(fill)) },
      });
    assert.equal((await put(2, 2)).statusCode, 204);
    for (const v of [2, 1]) {
      const res = await put(v, 9);
      assert.equal(res.statusCode, 409);
      assert.equal(errorCode(res), 'DEVICE_LIST_VERSION_STALE');
    }
    assert.equal((await put(5, 5)).statusCode, 204);
    const got = await app.inject({
      method: 'GET',
      url: `/v1/accounts/${gina.accountId}/device-list`,
      headers: { authorization: gina.auth },
    });
    assert.equal(got.json<{ version: number }>().version, 5);
    assert.equal(got.json<{ blob: string }>().blob, b64(new Uint8Array(40).fill(5)));
    const missing = await app.inject({
      method: 'GET',
      url: '/v1/accounts/nope/device-list',
      headers: { authorization: gina.auth },
    });
    assert.equal(errorCode(missing), 'ACCOUNT_NOT_FOUND');
  });

  test('provisioning: the relay carries an opaque ciphertext from the primary to the new device, once', async () => {
    const hank = await register(app, 'hank');
    const open = await app.inject({ method: 'POST', url: '/v1/provisioning' });
    assert.equal(open.statusCode, 201);
    const { channelId } = open.json<{ channelId: string }>();
    assert.ok(channelId.length >= 43, 'unguessable: 32 random bytes');
    const pending = await app.inject({ method: 'GET', url: `/v1/provisioning/${channelId}` });
    assert.deepEqual(pending.json(), { ciphertext: null });
    const ciphertext = b64(new Uint8Array(300).fill(7));
    const put = await app.inject({
      method: 'PUT',
      url: `/v1/provisioning/${channelId}`,
      headers: { authorization: hank.auth },
      payload: { ciphertext },
    });
    assert.equal(put.statusCode, 204);
    const got = await app.inject({ method: 'GET', url: `/v1/provisioning/${channelId}` });
    assert.deepEqual(got.json(), { ciphertext });
    const closed = await app.inject({ method: 'GET', url: `/v1/provisioning/${channelId}` });
    assert.equal(closed.statusCode, 404);
    assert.equal(errorCode(closed), 'PROVISIONING_NOT_FOUND');
    const unknown = await app.inject({
      method: 'PUT',
      url: '/v1/provisioning/unknown',
      headers: { authorization: hank.auth },
      payload: { ciphertext },
    });
    assert.equal(errorCode(unknown), 'PROVISIONING_NOT_FOUND');
  });

  test('DELETE /v1/accounts/me removes everything: the username is free again', async () => {
    const ivan = await register(app, 'ivan');
    const peer = await register(app, 'ivan_peer');
    const res = await app.inject({
      method: 'DELETE',
      url: '/v1/accounts/me',
      headers: { authorization: ivan.auth },
    });
    assert.equal(res.statusCode, 204);
    const lookup = await app.inject({
      method: 'GET',
      url: `/v1/accounts/${ivan.accountId}`,
      headers: { authorization: peer.auth },
    });
    assert.equal(errorCode(lookup), 'ACCOUNT_NOT_FOUND');
    const again = await register(app, 'ivan');
    assert.notEqual(again.accountId, ivan.accountId);
  });
});
