// Sealed group posts (issue 18) on real SQLite storage: a group message or commit admitted by
// the current epoch's delivery token instead of a credential, queued for every member device
// with no sender and logged with none; every refusal (stranger, wrong token, another group's
// token, a group without one) is the same `DELIVERY_TOKEN_INVALID` and stores nothing; the
// previous epoch's token (a member a commit overtook, or one it removed) gets `EPOCH_CONFLICT`
// and stores nothing, and an older one is refused; a wrong next-epoch hash only makes later sealed posts refused; limits as the 1:1
// sealed route; fuzzed bodies get stable codes.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { GROUP_MESSAGE_TYPES } from '@parley/api';
import { openSqliteStorage, type RelayOptions, type Storage } from '@parley/relay';
import { b64, errorCode, link, newRelay, register, type TestDevice } from './support.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function sqliteRelay(
  options: Partial<RelayOptions> = {},
): Promise<{ app: FastifyInstance; storage: Storage }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sealed-groups-'));
  dirs.push(dir);
  const storage = openSqliteStorage({ dataDir: dir });
  const app = await newRelay({ storage, ...options });
  app.addHook('onClose', async () => storage.close());
  return { app, storage };
}

const member = (d: TestDevice) => ({ accountId: d.accountId, deviceId: d.deviceId });
const newGroupId = (): string => randomBytes(16).toString('base64url');
const blob = (text: string): string => b64(Buffer.from(text));
const token = (): Buffer => randomBytes(32);
const hashOf = (t: Buffer): string => b64(createHash('sha256').update(t).digest());

interface Queued {
  type: number;
  content: string;
  senderAccountId: string;
  senderDeviceId: number;
}

describe('sealed group posts', () => {
  const call = (
    app: FastifyInstance,
    d: TestDevice,
    method: 'GET' | 'POST',
    url: string,
    payload?: object,
  ) =>
    app.inject({
      method,
      url,
      headers: { authorization: d.auth },
      ...(payload === undefined ? {} : { payload }),
    });
  const queue = async (app: FastifyInstance, d: TestDevice): Promise<Queued[]> =>
    (await call(app, d, 'GET', '/v1/messages')).json<{ messages: Queued[] }>().messages;
  const create = (
    app: FastifyInstance,
    by: TestDevice,
    groupId: string,
    members: readonly TestDevice[],
    t?: Buffer,
  ) =>
    call(app, by, 'POST', '/v1/groups', {
      groupId,
      members: members.map(member),
      ...(t === undefined ? {} : { deliveryTokenHash: hashOf(t) }),
    });
  const commit = (
    app: FastifyInstance,
    by: TestDevice,
    groupId: string,
    epoch: number,
    members: readonly TestDevice[],
    next?: Buffer,
  ) =>
    call(app, by, 'POST', `/v1/groups/${groupId}/commits`, {
      epoch,
      commit: blob(`commit ${String(epoch)}`),
      members: members.map(member),
      ...(next === undefined ? {} : { nextDeliveryTokenHash: hashOf(next) }),
    });
  const sealedMessage = (
    app: FastifyInstance,
    groupId: string,
    t: Buffer,
    epoch: number,
    text = 'sealed',
    remoteAddress = '10.0.0.1',
  ) =>
    app.inject({
      method: 'POST',
      url: `/v1/groups/${groupId}/sealed-messages`,
      remoteAddress,
      payload: {
        deliveryToken: b64(t),
        clientMessageId: `c-${randomBytes(4).toString('hex')}`,
        epoch,
        message: blob(text),
      },
    });
  const sealedCommit = (
    app: FastifyInstance,
    groupId: string,
    t: Buffer,
    epoch: number,
    members: readonly TestDevice[],
    extra: { next?: Buffer; welcome?: string } = {},
  ) =>
    app.inject({
      method: 'POST',
      url: `/v1/groups/${groupId}/sealed-commits`,
      payload: {
        deliveryToken: b64(t),
        epoch,
        commit: blob(`sealed commit ${String(epoch)}`),
        members: members.map(member),
        ...(extra.next === undefined ? {} : { nextDeliveryTokenHash: hashOf(extra.next) }),
        ...(extra.welcome === undefined ? {} : { welcome: extra.welcome }),
      },
    });
  const refusedAlike = (res: Awaited<ReturnType<typeof sealedMessage>>): void => {
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), {
      error: { code: 'DELIVERY_TOKEN_INVALID', message: 'delivery token not accepted' },
    });
  };
  /** Every queued row of the devices, straight from storage. */
  const rows = async (storage: Storage, devices: readonly TestDevice[]) =>
    (
      await Promise.all(
        devices.map((d) => storage.reader.messages.list(d.accountId, d.deviceId, 0, 1_000)),
      )
    ).flat();

  test('a sealed message goes to every member device, the sender included, with no sender stored', async () => {
    const { app, storage } = await sqliteRelay();
    const alice = await register(app, 'sg_alice');
    const alice2 = await link(app, alice);
    const bob = await register(app, 'sg_bob');
    const groupId = newGroupId();
    const t = token();
    assert.equal((await create(app, alice, groupId, [alice, alice2, bob], t)).statusCode, 201);
    const res = await sealedMessage(app, groupId, t, 0, 'hello');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<{ recipients: number }>().recipients, 3);
    for (const d of [alice, alice2, bob]) {
      const [m, ...rest] = await queue(app, d);
      assert.equal(rest.length, 0);
      assert.equal(m?.type, GROUP_MESSAGE_TYPES.application);
      assert.equal(m.senderAccountId, '');
      assert.equal(m.senderDeviceId, 0);
      assert.equal(m.content, blob('hello'));
    }
    const stored = await rows(storage, [alice, alice2, bob]);
    assert.equal(stored.length, 3);
    assert.ok(stored.every((m) => m.senderAccountId === '' && m.senderDeviceId === 0));
    await app.close();
  });

  test('a stranger, a wrong token, another group\u2019s token, an unknown group and a group without a token are refused alike; nothing is stored', async () => {
    const { app, storage } = await sqliteRelay();
    const alice = await register(app, 'sg2_alice');
    const bob = await register(app, 'sg2_bob');
    const g1 = newGroupId();
    const g2 = newGroupId();
    const g3 = newGroupId();
    const t1 = token();
    const t2 = token();
    await create(app, alice, g1, [alice, bob], t1);
    await create(app, bob, g2, [bob], t2);
    await create(app, alice, g3, [alice, bob]); // no token for epoch 0
    refusedAlike(await sealedMessage(app, g1, token(), 0)); // a stranger's guess
    refusedAlike(await sealedMessage(app, g1, t2, 0)); // another group's token
    refusedAlike(await sealedMessage(app, newGroupId(), t1, 0)); // no such group
    refusedAlike(await sealedMessage(app, g3, t1, 0));
    refusedAlike(await sealedMessage(app, g3, Buffer.alloc(32), 0));
    refusedAlike(await sealedCommit(app, g1, t2, 0, [alice, bob]));
    refusedAlike(await sealedCommit(app, g3, t1, 0, [alice]));
    assert.deepEqual(await rows(storage, [alice, bob]), []);
    assert.equal((await storage.reader.groups.get(g1))?.epoch, 0);
    assert.equal((await storage.reader.groups.get(g3))?.epoch, 0);
    await app.close();
  });

  test("a member removed by a commit cannot post with the old epoch's token (EPOCH_CONFLICT, then refused); the new one works", async () => {
    const { app, storage } = await sqliteRelay();
    const alice = await register(app, 'sg3_alice');
    const bob = await register(app, 'sg3_bob');
    const carol = await register(app, 'sg3_carol');
    const groupId = newGroupId();
    const t0 = token();
    const t1 = token();
    await create(app, alice, groupId, [alice, bob, carol], t0);
    assert.equal((await commit(app, alice, groupId, 0, [alice, bob], t1)).statusCode, 200);
    for (const d of [alice, bob, carol]) await queue(app, d); // the commit
    const before = (await rows(storage, [alice, bob, carol])).length;
    // Carol, removed, still holds epoch 0's token: told the epoch moved on (she received the
    // commit that says so), whatever epoch she names, and nothing is stored.
    const stale = (res: Awaited<ReturnType<typeof sealedMessage>>, epoch: number): void => {
      assert.equal(errorCode(res), 'EPOCH_CONFLICT');
      assert.deepEqual(res.json<{ error: { details: unknown } }>().error.details, { epoch });
    };
    stale(await sealedMessage(app, groupId, t0, 0), 1);
    stale(await sealedMessage(app, groupId, t0, 1), 1);
    stale(await sealedCommit(app, groupId, t0, 1, [alice, bob, carol]), 1);
    assert.equal((await rows(storage, [alice, bob, carol])).length, before);
    const ok = await sealedMessage(app, groupId, t1, 1, 'after');
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json<{ recipients: number }>().recipients, 2, 'carol is no member');
    // One more commit: epoch 0's token is two epochs old and refused like any wrong token.
    assert.equal((await commit(app, alice, groupId, 1, [alice, bob], token())).statusCode, 200);
    refusedAlike(await sealedMessage(app, groupId, t0, 2));
    refusedAlike(await sealedCommit(app, groupId, t0, 2, [alice, bob, carol]));
    await app.close();
  });

  test('the right token with a stale epoch gets EPOCH_CONFLICT and stores nothing', async () => {
    const { app, storage } = await sqliteRelay();
    const alice = await register(app, 'sg4_alice');
    const groupId = newGroupId();
    const t = token();
    await create(app, alice, groupId, [alice], t);
    const res = await sealedMessage(app, groupId, t, 3);
    assert.equal(errorCode(res), 'EPOCH_CONFLICT');
    assert.deepEqual(res.json<{ error: { details: unknown } }>().error.details, { epoch: 0 });
    assert.deepEqual(await rows(storage, [alice]), []);
    await app.close();
  });

  test('a commit with a wrong next hash only makes sealed posts refused; a later commit mends it', async () => {
    const { app } = await sqliteRelay();
    const alice = await register(app, 'sg5_alice');
    const bob = await register(app, 'sg5_bob');
    const groupId = newGroupId();
    const t0 = token();
    await create(app, alice, groupId, [alice, bob], t0);
    const real1 = token();
    // Bob's commit names some other hash than epoch 1's real token.
    assert.equal((await commit(app, bob, groupId, 0, [alice, bob], token())).statusCode, 200);
    refusedAlike(await sealedMessage(app, groupId, real1, 1));
    // The authenticated route still takes epoch 1's traffic and its next commit.
    const authed = await call(app, alice, 'POST', `/v1/groups/${groupId}/messages`, {
      clientMessageId: 'm1',
      epoch: 1,
      message: blob('authed'),
    });
    assert.equal(authed.statusCode, 200);
    const t2 = token();
    assert.equal((await commit(app, alice, groupId, 1, [alice, bob], t2)).statusCode, 200);
    assert.equal((await sealedMessage(app, groupId, t2, 2)).statusCode, 200);
    await app.close();
  });

  test('a sealed commit is logged and queued with no sender, to every member, its Welcome to the added', async () => {
    const { app, storage } = await sqliteRelay();
    const alice = await register(app, 'sg6_alice');
    const bob = await register(app, 'sg6_bob');
    const carol = await register(app, 'sg6_carol');
    const groupId = newGroupId();
    const t0 = token();
    const t1 = token();
    await create(app, alice, groupId, [alice, bob], t0);
    const res = await sealedCommit(app, groupId, t0, 0, [alice, bob, carol], {
      next: t1,
      welcome: blob('welcome'),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<{ epoch: number }>().epoch, 1);
    for (const d of [alice, bob]) {
      const [m, ...rest] = await queue(app, d);
      assert.equal(rest.length, 0);
      assert.equal(m?.type, GROUP_MESSAGE_TYPES.commit);
      assert.equal(m.senderAccountId, '');
      assert.equal(m.senderDeviceId, 0);
    }
    const [w] = await queue(app, carol);
    assert.equal(w?.type, GROUP_MESSAGE_TYPES.welcome);
    assert.equal(w.senderAccountId, '');
    const [logged] = await storage.reader.groups.handshakes(groupId, 0, 10);
    assert.equal(logged?.senderAccountId, '');
    assert.equal(logged.senderDeviceId, 0);
    const log = await call(app, bob, 'GET', `/v1/groups/${groupId}/commits?fromEpoch=0`);
    assert.equal(log.statusCode, 200);
    const [entry] = log.json<{ commits: Record<string, unknown>[] }>().commits;
    assert.deepEqual(Object.keys(entry ?? {}).sort(), ['commit', 'epoch', 'serverTimestamp']);
    // The same epoch again: the token moved on with the commit, so the post is told so.
    assert.equal(
      errorCode(await sealedCommit(app, groupId, t0, 0, [alice, bob])),
      'EPOCH_CONFLICT',
    );
    // With epoch 1's token but naming epoch 0: EPOCH_CONFLICT, nothing logged.
    assert.equal(errorCode(await sealedCommit(app, groupId, t1, 0, [alice])), 'EPOCH_CONFLICT');
    assert.equal((await storage.reader.groups.handshakes(groupId, 0, 10)).length, 1);
    assert.equal((await storage.reader.groups.get(groupId))?.members.length, 3);
    await app.close();
  });

  test('limits: per address first, then per group; sealed posts fill at most a share of a queue', async () => {
    const { app } = await sqliteRelay({
      rateLimits: {
        ip: { perSecond: 1_000, burst: 1_000 },
        account: { perSecond: 1_000, burst: 1_000 },
        sealedIp: { perSecond: 0.001, burst: 3 },
        sealedToken: { perSecond: 0.001, burst: 5 },
      },
      limits: { maxQueueDepth: 40 },
    });
    const alice = await register(app, 'sg7_alice');
    const groupId = newGroupId();
    const t = token();
    await create(app, alice, groupId, [alice], t);
    const flood: number[] = [];
    for (let i = 0; i < 6; i++)
      flood.push((await sealedMessage(app, groupId, t, 0, 'f', '10.6.6.6')).statusCode);
    assert.deepEqual(flood, [200, 200, 200, 429, 429, 429]);
    // Elsewhere: the flood took only 3 of the group's 5.
    const spread: number[] = [];
    for (let i = 0; i < 4; i++)
      spread.push((await sealedMessage(app, groupId, t, 0, 's', `10.1.0.${i}`)).statusCode);
    assert.deepEqual(spread, [200, 200, 429, 429]);
    assert.equal((await queue(app, alice)).length, 5);
    await app.close();

    const small = await sqliteRelay({ limits: { maxQueueDepth: 4 } });
    const bob = await register(small.app, 'sg7_bob');
    const carol = await register(small.app, 'sg7_carol');
    const g2 = newGroupId();
    await create(small.app, bob, g2, [bob, carol], t);
    assert.equal((await sealedMessage(small.app, g2, t, 0)).statusCode, 200);
    assert.equal((await sealedMessage(small.app, g2, t, 0)).statusCode, 200);
    assert.equal(errorCode(await sealedMessage(small.app, g2, t, 0)), 'QUEUE_FULL');
    // Authenticated posts still fit in the rest of the queue.
    const authed = await call(small.app, carol, 'POST', `/v1/groups/${g2}/messages`, {
      clientMessageId: 'a1',
      epoch: 0,
      message: blob('authed'),
    });
    assert.equal(authed.statusCode, 200);
    assert.equal((await rows(small.storage, [bob])).length, 3);
    await small.app.close();
  });

  test('fuzz: arbitrary bodies on both sealed group routes get a stable 4xx code; what is stored has no sender', async () => {
    const { app, storage } = await sqliteRelay();
    const alice = await register(app, 'sg8_alice');
    const bob = await register(app, 'sg8_bob');
    const groupId = newGroupId();
    const t = token();
    await create(app, alice, groupId, [alice, bob], t);
    const members = fc.array(
      fc.record({
        accountId: fc.oneof(fc.constant(alice.accountId), fc.constant(bob.accountId), fc.string()),
        deviceId: fc.integer({ min: -1, max: 3 }),
      }),
      { maxLength: 4 },
    );
    const common = {
      deliveryToken: fc.oneof(fc.constant(b64(t)), fc.base64String(), fc.string()),
      epoch: fc.oneof(fc.constant(0), fc.integer({ min: -2, max: 3 }), fc.double()),
    };
    const body = (route: 'm' | 'c') =>
      fc.oneof(
        fc.jsonValue(),
        route === 'm'
          ? fc.record(
              {
                ...common,
                clientMessageId: fc.string(),
                message: fc.oneof(fc.base64String(), fc.string()),
                expiresAt: fc.integer({ min: -1 }),
              },
              { requiredKeys: [] },
            )
          : fc.record(
              {
                ...common,
                commit: fc.oneof(fc.base64String(), fc.string()),
                members,
                welcome: fc.oneof(fc.base64String(), fc.string()),
                nextDeliveryTokenHash: fc.oneof(fc.constant(hashOf(t)), fc.base64String()),
              },
              { requiredKeys: [] },
            ),
      );
    for (const [route, path] of [
      ['m', 'sealed-messages'],
      ['c', 'sealed-commits'],
    ] as const) {
      await fc.assert(
        fc.asyncProperty(body(route), async (b) => {
          const res = await app.inject({
            method: 'POST',
            url: `/v1/groups/${groupId}/${path}`,
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify(b),
          });
          if (res.statusCode === 200) return true;
          return (
            res.statusCode >= 400 && res.statusCode < 500 && typeof errorCode(res) === 'string'
          );
        }),
        { numRuns: 300, seed: 18 },
      );
    }
    const stored = await rows(storage, [alice, bob]);
    assert.ok(stored.every((m) => m.senderAccountId === '' && m.senderDeviceId === 0));
    const log = await storage.reader.groups.handshakes(groupId, 0, 100);
    assert.ok(log.every((h) => h.senderAccountId === '' && h.senderDeviceId === 0));
    await app.close();
  });
});
