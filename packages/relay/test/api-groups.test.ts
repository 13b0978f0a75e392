// MLS groups over the relay's HTTP API (via `inject`): KeyPackage upload, status and claim
// (one-time, then last resort); group registration; the handshake log accepting exactly one
// commit per epoch (`EPOCH_CONFLICT` otherwise); fan-out of commits, Welcomes and group
// messages to member device queues; and every new error code.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { GROUP_MESSAGE_TYPES, limits } from '@parley/api';
import { b64, errorCode, link, newRelay, register, type TestDevice } from './support.js';

const member = (d: TestDevice) => ({ accountId: d.accountId, deviceId: d.deviceId });
const newGroupId = (): string => randomBytes(16).toString('base64url');
const blob = (text: string): string => b64(Buffer.from(text));

interface Queued {
  type: number;
  content: string;
  senderAccountId: string;
}

describe('groups', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await newRelay();
  });
  after(async () => {
    await app.close();
  });

  const call = (d: TestDevice, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    app.inject({
      method,
      url,
      headers: { authorization: d.auth },
      ...(payload === undefined ? {} : { payload }),
    });
  const queue = async (d: TestDevice): Promise<Queued[]> =>
    (await call(d, 'GET', '/v1/messages')).json<{ messages: Queued[] }>().messages;
  const createGroup = (by: TestDevice, groupId: string, members: readonly TestDevice[]) =>
    call(by, 'POST', '/v1/groups', { groupId, members: members.map(member) });
  const commit = (
    by: TestDevice,
    groupId: string,
    epoch: number,
    members: readonly TestDevice[],
    welcome?: string,
  ) =>
    call(by, 'POST', `/v1/groups/${groupId}/commits`, {
      epoch,
      commit: blob(`commit ${String(epoch)} by ${by.accountId}/${String(by.deviceId)}`),
      members: members.map(member),
      ...(welcome === undefined ? {} : { welcome }),
    });

  test('KeyPackages: upload, status, claim one per device, then the last resort', async () => {
    const alice = await register(app, 'g_kp_alice');
    const alice2 = await link(app, alice);
    const bob = await register(app, 'g_kp_bob');
    let res = await call(alice, 'PUT', '/v1/mls/key-packages', {
      keyPackages: [blob('a1-1'), blob('a1-2')],
      lastResort: blob('a1-last'),
    });
    assert.equal(res.statusCode, 204);
    res = await call(alice2, 'PUT', '/v1/mls/key-packages', { keyPackages: [blob('a2-1')] });
    assert.equal(res.statusCode, 204);
    res = await call(alice, 'GET', '/v1/mls/key-packages/status');
    assert.deepEqual(res.json(), { oneTime: 2, lastResort: true });

    const claim = async () => {
      const r = await call(bob, 'POST', `/v1/mls/key-packages/${alice.accountId}/claim`);
      assert.equal(r.statusCode, 200);
      return r.json<{ devices: { deviceId: number; keyPackage: string; lastResort: boolean }[] }>()
        .devices;
    };
    assert.deepEqual(await claim(), [
      { deviceId: 1, keyPackage: blob('a1-1'), lastResort: false },
      { deviceId: 2, keyPackage: blob('a2-1'), lastResort: false },
    ]);
    assert.deepEqual(await claim(), [{ deviceId: 1, keyPackage: blob('a1-2'), lastResort: false }]);
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await claim(), [
        { deviceId: 1, keyPackage: blob('a1-last'), lastResort: true },
      ]);
    }
    res = await call(alice, 'GET', '/v1/mls/key-packages/status');
    assert.deepEqual(res.json(), { oneTime: 0, lastResort: true });
  });

  test('KeyPackages: TOO_MANY_KEYS past the per-device limit, ACCOUNT_NOT_FOUND, UNAUTHORIZED', async () => {
    const carol = await register(app, 'g_kp_carol');
    const batch = Array.from({ length: limits.MAX_KEY_PACKAGES_PER_UPLOAD }, (_, i) =>
      blob(`kp-${String(i)}`),
    );
    const uploads = Math.floor(limits.MAX_KEY_PACKAGES_PER_DEVICE / batch.length);
    for (let i = 0; i < uploads; i++) {
      const ok = await call(carol, 'PUT', '/v1/mls/key-packages', { keyPackages: batch });
      assert.equal(ok.statusCode, 204);
    }
    const over = await call(carol, 'PUT', '/v1/mls/key-packages', { keyPackages: [blob('x')] });
    assert.equal(over.statusCode, 409);
    assert.equal(errorCode(over), 'TOO_MANY_KEYS');
    const missing = await call(carol, 'POST', '/v1/mls/key-packages/no-such-account/claim');
    assert.equal(missing.statusCode, 404);
    assert.equal(errorCode(missing), 'ACCOUNT_NOT_FOUND');
    const anonymous = await app.inject({ method: 'GET', url: '/v1/mls/key-packages/status' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(errorCode(anonymous), 'UNAUTHORIZED');
  });

  test('a group: create, one commit per epoch (EPOCH_CONFLICT for the loser), fan-out, log', async () => {
    const alice = await register(app, 'g_alice');
    const alice2 = await link(app, alice);
    const bob = await register(app, 'g_bob');
    const carol = await register(app, 'g_carol');
    const groupId = newGroupId();

    let res = await createGroup(alice, groupId, [alice, alice2, bob]);
    assert.equal(res.statusCode, 201);
    assert.equal(res.json<{ epoch: number }>().epoch, 0);
    res = await call(bob, 'GET', `/v1/groups/${groupId}`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ members: unknown[] }>().members.length, 3);

    // alice and bob both commit in epoch 0: the first wins, the second must retry.
    res = await commit(alice, groupId, 0, [alice, alice2, bob, carol], blob('welcome for carol'));
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ epoch: number }>().epoch, 1);
    res = await commit(bob, groupId, 0, [alice, alice2, bob]);
    assert.equal(res.statusCode, 409);
    assert.equal(errorCode(res), 'EPOCH_CONFLICT');
    assert.deepEqual(res.json<{ error: { details: unknown } }>().error.details, { epoch: 1 });

    // The commit reached every other member of epoch 0, the Welcome only carol.
    for (const d of [alice2, bob]) {
      const got = await queue(d);
      assert.deepEqual(
        got.map((m) => [m.type, Buffer.from(m.content, 'base64').toString()]),
        [[GROUP_MESSAGE_TYPES.commit, `commit 0 by ${alice.accountId}/1`]],
      );
    }
    assert.deepEqual(await queue(alice), []);
    assert.deepEqual(
      (await queue(carol)).map((m) => [m.type, Buffer.from(m.content, 'base64').toString()]),
      [[GROUP_MESSAGE_TYPES.welcome, 'welcome for carol']],
    );

    // bob catches up from the log and retries on epoch 1, removing alice2.
    res = await call(bob, 'GET', `/v1/groups/${groupId}/commits?fromEpoch=0`);
    assert.equal(res.statusCode, 200);
    const log = res.json<{
      commits: { epoch: number; senderAccountId: string }[];
      more: boolean;
    }>();
    assert.deepEqual(
      log.commits.map((c) => [c.epoch, c.senderAccountId]),
      [[0, alice.accountId]],
    );
    assert.equal(log.more, false);
    res = await commit(bob, groupId, 1, [alice, bob, carol]);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ epoch: number }>().epoch, 2);
    res = await call(carol, 'GET', `/v1/groups/${groupId}/commits?fromEpoch=1`);
    assert.deepEqual(
      res.json<{ commits: { epoch: number }[] }>().commits.map((c) => c.epoch),
      [1],
    );

    // A group message reaches every member device but the sender's; alice2 is no longer one.
    res = await call(carol, 'POST', `/v1/groups/${groupId}/messages`, {
      clientMessageId: 'm1',
      epoch: 2,
      message: blob('hello group'),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ recipients: number }>().recipients, 2);
    assert.equal(res.json<{ duplicate: boolean }>().duplicate, false);
    const bobQueue = await queue(bob);
    assert.deepEqual(bobQueue.at(-1)?.type, GROUP_MESSAGE_TYPES.application);
    assert.equal(bobQueue.at(-1)?.senderAccountId, carol.accountId);

    // The same client message id again (a retry after a lost answer) is queued nowhere.
    res = await call(carol, 'POST', `/v1/groups/${groupId}/messages`, {
      clientMessageId: 'm1',
      epoch: 2,
      message: blob('hello group'),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<{ duplicate: boolean }>().duplicate, true);
    assert.equal(res.json<{ recipients: number }>().recipients, 0);
    assert.equal((await queue(bob)).length, bobQueue.length);

    // A message made in an earlier epoch is refused with the current one: it would otherwise
    // reach members after the commit that moved them on.
    res = await call(carol, 'POST', `/v1/groups/${groupId}/messages`, {
      clientMessageId: 'm-stale',
      epoch: 1,
      message: blob('too late'),
    });
    assert.equal(res.statusCode, 409);
    assert.equal(errorCode(res), 'EPOCH_CONFLICT');
    assert.deepEqual(res.json<{ error: { details: unknown } }>().error.details, { epoch: 2 });
    assert.equal((await queue(bob)).length, bobQueue.length);
    assert.equal(
      (await queue(alice2)).some((m) => m.type === GROUP_MESSAGE_TYPES.application),
      false,
    );

    // alice2, removed, may no longer read the group or post to it.
    res = await call(alice2, 'GET', `/v1/groups/${groupId}`);
    assert.equal(res.statusCode, 403);
    assert.equal(errorCode(res), 'FORBIDDEN');
    res = await call(alice2, 'POST', `/v1/groups/${groupId}/messages`, {
      clientMessageId: 'm2',
      epoch: 2,
      message: blob('let me in'),
    });
    assert.equal(errorCode(res), 'FORBIDDEN');
    res = await commit(alice2, groupId, 2, [alice, alice2, bob, carol]);
    assert.equal(errorCode(res), 'FORBIDDEN');
  });

  test('group error codes: GROUP_EXISTS, GROUP_NOT_FOUND, DEVICE_NOT_FOUND, FORBIDDEN, INVALID_REQUEST', async () => {
    const dave = await register(app, 'g_dave');
    const erin = await register(app, 'g_erin');
    const groupId = newGroupId();
    assert.equal((await createGroup(dave, groupId, [dave])).statusCode, 201);

    let res = await createGroup(erin, groupId, [erin]);
    assert.equal(res.statusCode, 409);
    assert.equal(errorCode(res), 'GROUP_EXISTS');

    res = await call(dave, 'GET', `/v1/groups/${newGroupId()}`);
    assert.equal(res.statusCode, 404);
    assert.equal(errorCode(res), 'GROUP_NOT_FOUND');
    res = await commit(dave, newGroupId(), 0, [dave]);
    assert.equal(errorCode(res), 'GROUP_NOT_FOUND');
    res = await call(dave, 'GET', `/v1/groups/${newGroupId()}/commits`);
    assert.equal(errorCode(res), 'GROUP_NOT_FOUND');

    res = await call(dave, 'POST', '/v1/groups', {
      groupId: newGroupId(),
      members: [member(dave), { accountId: erin.accountId, deviceId: 5 }],
    });
    assert.equal(res.statusCode, 404);
    assert.equal(errorCode(res), 'DEVICE_NOT_FOUND');
    res = await commit(dave, groupId, 0, [dave, { ...erin, deviceId: 4 }]);
    assert.equal(errorCode(res), 'DEVICE_NOT_FOUND');
    assert.equal(
      (await call(dave, 'GET', `/v1/groups/${groupId}`)).json<{ epoch: number }>().epoch,
      0,
    );

    res = await createGroup(dave, newGroupId(), [erin]);
    assert.equal(res.statusCode, 403);
    assert.equal(errorCode(res), 'FORBIDDEN');
    res = await call(erin, 'GET', `/v1/groups/${groupId}/commits`);
    assert.equal(errorCode(res), 'FORBIDDEN');

    res = await createGroup(dave, newGroupId(), [dave, dave]);
    assert.equal(res.statusCode, 400);
    assert.equal(errorCode(res), 'INVALID_REQUEST');
    res = await createGroup(dave, 'short', [dave]);
    assert.equal(errorCode(res), 'INVALID_REQUEST');
  });

  test('QUEUE_FULL: a group message refused when a member queue is at its limit', async () => {
    const small = await newRelay({ limits: { maxQueueDepth: 1 } });
    try {
      const frank = await register(small, 'g_frank');
      const gina = await register(small, 'g_gina');
      const groupId = newGroupId();
      const post = (n: number) =>
        small.inject({
          method: 'POST',
          url: `/v1/groups/${groupId}/messages`,
          headers: { authorization: frank.auth },
          payload: { clientMessageId: `q${String(n)}`, epoch: 0, message: blob('x') },
        });
      await small.inject({
        method: 'POST',
        url: '/v1/groups',
        headers: { authorization: frank.auth },
        payload: { groupId, members: [member(frank), member(gina)] },
      });
      assert.equal((await post(1)).statusCode, 200);
      const full = await post(2);
      assert.equal(full.statusCode, 503);
      assert.equal(errorCode(full), 'QUEUE_FULL');
    } finally {
      await small.close();
    }
  });
});
