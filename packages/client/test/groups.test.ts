// MLS groups through the SDK against the real relay (in process, memory storage): rosters from
// the MLS tree, messages to every device, add/remove/leave with who made each change, the
// epoch race, catching up after being offline, and ghost members refused.
import { deepStrictEqual, ok, rejects, strictEqual, throws } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Envelope } from '@parley/api';
import { fromBase64, toBase64 } from '@parley/bytes';
import {
  MlsCrypto,
  ProposalType,
  WireFormat,
  createCommit,
  createKeyPackage,
  decodeGroupState,
  decodeMlsMessage,
  decryptApplicationMessage,
  encodeMlsMessage,
  type KeyPackage,
} from '@parley/mls';
import { ClientError } from '../src/errors.js';
import * as clientLimits from '../src/limits.js';
import type { ClientEvent, ParleyClient } from '../src/client.js';
import type { FetchLike } from '../src/http.js';
import { deviceCredential } from '../src/group-auth.js';
import { GROUP_CAPABILITIES } from '../src/group-roster.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, primitives, startRelay, type TestRelay } from './harness.js';

const mls = new MlsCrypto(primitives, 1);

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

async function linked(primary: ParleyClient): Promise<ParleyClient> {
  const laptop = newClient(relay.base, nodeFetch, new MemoryBackend());
  const pending = await laptop.startLink();
  await Promise.all([primary.approveLink(pending.code), pending.complete()]);
  return laptop;
}

function texts(events: readonly ClientEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'group-message' ? [e.message.text] : []));
}

function changes(events: readonly ClientEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'group-change' ? [`${e.by} ${e.change} ${e.users.join(',')}`] : [],
  );
}

function members(client: ParleyClient, groupId: string): string[] {
  const g = client.groups().find((x) => x.groupId === groupId);
  return (g?.members ?? []).map((m) => `${m.username}:${m.devices.join('+')}`).sort();
}

const epochOf = (client: ParleyClient, groupId: string): number =>
  client.groups().find((x) => x.groupId === groupId)?.epoch ?? -1;

const isCode = (code: string) => (e: unknown) => e instanceof ClientError && e.code === code;

test('a group of alice (two devices), bob and carol: talk, add, remove, leave', async () => {
  // Every request body the SDK sends, to check the group name never reaches the relay.
  const bodies: string[] = [];
  const recording: FetchLike = (url, init) => {
    if (init.body !== undefined) bodies.push(init.body);
    return nodeFetch(url, init);
  };
  const alice = newClient(relay.base, recording, new MemoryBackend());
  const bob = newClient(relay.base, recording);
  const carolStore = new MemoryBackend();
  const carol = newClient(relay.base, recording, carolStore);
  const dave = newClient(relay.base, recording);
  await alice.register('g1alice');
  await bob.register('g1bob');
  await carol.register('g1carol');
  await dave.register('g1dave');
  const laptop = await linked(alice);

  const name = 'Secret Garden Club';
  const created = await alice.createGroup(name, ['g1bob', 'g1carol']);
  const { groupId } = created;
  deepStrictEqual(changes(created.events), [
    'g1alice created g1alice',
    'g1alice added g1bob,g1carol',
    'g1alice devices-added g1alice',
  ]);
  for (const c of [laptop, bob, carol]) {
    const events = await c.receive();
    deepStrictEqual(changes(events), [
      `g1alice joined ${c === laptop ? 'g1alice' : c === bob ? 'g1bob' : 'g1carol'}`,
    ]);
  }
  const roster = ['g1alice:1+2', 'g1bob:1', 'g1carol:1'];
  for (const c of [alice, laptop, bob, carol]) {
    deepStrictEqual(members(c, groupId), roster);
    strictEqual(c.groups()[0]?.name, name);
  }

  // Every device of every member gets each message, including the sender's other device.
  await bob.sendToGroup(name, 'hello group');
  for (const c of [alice, laptop, carol])
    deepStrictEqual(texts(await c.receive()), ['hello group']);
  await laptop.sendToGroup(groupId.slice(0, 6), 'from the laptop');
  for (const c of [alice, bob, carol])
    deepStrictEqual(texts(await c.receive()), ['from the laptop']);
  deepStrictEqual(
    alice.groupHistory(name).map((m) => `${m.direction}:${m.text}`),
    ['in:hello group', 'out:from the laptop'],
  );

  // bob adds dave; everyone sees who did it.
  deepStrictEqual(changes(await bob.addToGroup(name, ['g1dave'])), ['g1bob added g1dave']);
  deepStrictEqual(changes(await dave.receive()), ['g1bob joined g1dave']);
  for (const c of [alice, laptop, carol])
    deepStrictEqual(changes(await c.receive()), ['g1bob added g1dave']);

  // alice removes carol: carol learns it, and cannot read what follows.
  deepStrictEqual(changes(await alice.removeFromGroup(name, ['g1carol'])), [
    'g1alice removed g1carol',
  ]);
  // carol's last keys, before she learns of her removal, to try on what follows.
  const carolState = carolStore.get('group-state', groupId);
  ok(carolState !== undefined);
  deepStrictEqual(changes(await carol.receive()), ['g1alice removed g1carol']);
  strictEqual(carol.groups()[0]?.status, 'removed');
  for (const c of [laptop, bob, dave])
    deepStrictEqual(changes(await c.receive()), ['g1alice removed g1carol']);
  await dave.sendToGroup(name, 'carol must not read this');
  const bobQueue = await rawQueue(bob);
  const secret = bobQueue.find((e) => e.type === 34);
  ok(secret !== undefined);
  const carolSees = await carol.processEnvelopes([secret]);
  deepStrictEqual(texts(carolSees), []);
  throws(() =>
    decryptApplicationMessage(
      mls,
      decodeGroupState(mls, carolState),
      decodeMlsMessage(fromBase64(secret.content)),
    ),
  );
  strictEqual(carolStore.get('group-state', groupId), undefined);
  for (const c of [alice, laptop, bob])
    deepStrictEqual(texts(await c.receive()), ['carol must not read this']);
  await rejects(carol.sendToGroup(name, 'x'), isCode('UNKNOWN_GROUP'));

  // dave leaves; a remaining member commits it; everyone sees that dave left.
  await dave.leaveGroup(name);
  // alice's receive sees the Remove proposal and commits it (she is the committer shown).
  deepStrictEqual(changes(await alice.receive()), ['g1alice left g1dave']);
  deepStrictEqual(changes(await dave.receive()), ['g1alice left g1dave']);
  strictEqual(dave.groups()[0]?.status, 'left');
  for (const c of [laptop, bob])
    deepStrictEqual(changes(await c.receive()), ['g1alice left g1dave']);
  deepStrictEqual(members(bob, groupId), ['g1alice:1+2', 'g1bob:1']);

  // The name never went to the relay in the clear (nor base64-encoded as plain UTF-8).
  const encodedName = Buffer.from(name, 'utf8').toString('base64').slice(0, 16);
  ok(!bodies.some((b) => b.includes(name) || b.includes(encodedName)));
});

/** The device's queue as the relay holds it (not acknowledged). */
async function rawQueue(client: ParleyClient): Promise<Envelope[]> {
  const c = client.credentials();
  const auth = `Basic ${Buffer.from(`${c.accountId}.${c.deviceId}:${c.secret}`).toString('base64')}`;
  const r = await fetch(`${relay.base}/v1/messages`, { headers: { authorization: auth } });
  return ((await r.json()) as { messages: Envelope[] }).messages;
}

test('concurrent commits: the relay orders them and both changes end up applied', async () => {
  const [alice, bob, carol, dave, erin] = [0, 1, 2, 3, 4].map(() => newClient(relay.base));
  if (!alice || !bob || !carol || !dave || !erin) throw new Error('clients');
  for (const [c, n] of [
    [alice, 'g2alice'],
    [bob, 'g2bob'],
    [carol, 'g2carol'],
    [dave, 'g2dave'],
    [erin, 'g2erin'],
  ] as const)
    await c.register(n);
  const { groupId } = await alice.createGroup('race', ['g2bob', 'g2carol']);
  await bob.receive();
  await carol.receive();
  // alice adds dave and bob adds erin, both from the same epoch, at the same time.
  const [a, b] = await Promise.all([
    alice.addToGroup(groupId, ['g2dave']),
    bob.addToGroup(groupId, ['g2erin']),
  ]);
  ok(changes(a).includes('g2alice added g2dave'));
  ok(changes(b).includes('g2bob added g2erin'));
  // The loser processed the winner's commit first: its events show both changes.
  ok(changes(a).includes('g2bob added g2erin') || changes(b).includes('g2alice added g2dave'));
  for (const c of [alice, bob, carol, dave, erin]) await c.receive();
  const expected = ['g2alice:1', 'g2bob:1', 'g2carol:1', 'g2dave:1', 'g2erin:1'];
  for (const c of [alice, bob, carol, dave, erin]) {
    deepStrictEqual(members(c, groupId), expected);
    strictEqual(epochOf(c, groupId), 3);
  }
  await erin.sendToGroup(groupId, 'all five');
  for (const c of [alice, bob, carol, dave])
    deepStrictEqual(texts(await c.receive()), ['all five']);
});

test('a member offline across several epochs catches up from the commit log', async () => {
  const [alice, bob, carol, dave] = [0, 1, 2, 3].map(() => newClient(relay.base));
  if (!alice || !bob || !carol || !dave) throw new Error('clients');
  await alice.register('g3alice');
  await bob.register('g3bob');
  await carol.register('g3carol');
  await dave.register('g3dave');
  const { groupId } = await alice.createGroup('offline', ['g3bob', 'g3carol']);
  await bob.receive();
  await carol.receive();
  // carol is offline: three epochs pass, then a message in the newest one.
  await alice.addToGroup(groupId, ['g3dave']);
  await dave.receive();
  await bob.receive();
  await bob.removeFromGroup(groupId, ['g3dave']);
  await alice.receive();
  await alice.addToGroup(groupId, ['g3dave']);
  await bob.receive();
  await dave.receive();
  await dave.sendToGroup(groupId, 'latest');
  strictEqual(epochOf(carol, groupId), 1);
  // She processes only the newest message first (as a live socket might deliver it): it names a
  // later epoch, so she fetches the commits since from the relay's log.
  const queue = await rawQueue(carol);
  const last = queue[queue.length - 1];
  ok(last?.type === 34);
  const events = await carol.processEnvelopes([last]);
  deepStrictEqual(changes(events), [
    'g3alice added g3dave',
    'g3bob removed g3dave',
    'g3alice added g3dave',
  ]);
  deepStrictEqual(texts(events), ['latest']);
  strictEqual(epochOf(carol, groupId), 4);
  // The queued copies of those commits are recognised as already processed.
  deepStrictEqual(changes(await carol.receive()), []);
  await carol.sendToGroup(groupId, 'back online');
  for (const c of [alice, bob])
    deepStrictEqual(texts(await c.receive()), ['latest', 'back online']);
  deepStrictEqual(texts(await dave.receive()), ['back online']);
});

/** A relay call with a device's credentials, bypassing the SDK (a hostile member or relay). */
async function asDevice(
  creds: { accountId: string; deviceId: number; secret: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const auth = `Basic ${Buffer.from(`${creds.accountId}.${creds.deviceId}:${creds.secret}`).toString('base64')}`;
  return fetch(`${relay.base}${path}`, {
    method,
    headers: {
      authorization: auth,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

/** A KeyPackage whose credential claims `accountId`'s device `deviceId`, under a fresh key. */
function forgedKeyPackage(accountId: string, deviceId: number): KeyPackage {
  return createKeyPackage(mls, {
    credential: deviceCredential(accountId, deviceId),
    signaturePrivateKey: primitives.ed25519.generateKeyPair().privateKey,
    lifetime: { notBefore: 0n, notAfter: 1n << 40n },
    capabilities: GROUP_CAPABILITIES,
  }).keyPackage;
}

test('ghost member: a commit adding a leaf the signed device list does not back is refused', async () => {
  const [alice, bob, mallory] = [0, 1, 2].map(() => newClient(relay.base));
  const malloryStore = new MemoryBackend();
  const mal = newClient(relay.base, nodeFetch, malloryStore);
  if (!alice || !bob || !mallory) throw new Error('clients');
  await alice.register('g4alice');
  const bobAccount = await bob.register('g4bob');
  const malAccount = await mal.register('g4mallory');
  const { groupId } = await alice.createGroup('guarded', ['g4bob', 'g4mallory']);
  await bob.receive();
  await mal.receive();
  const epoch = epochOf(alice, groupId);

  // mallory, a member, commits an Add of a KeyPackage that claims bob's device 1 but carries a
  // key bob's signed list does not hold (a crafted credential, as a hostile member could make).
  const stored = malloryStore.get('group-state', groupId);
  ok(stored !== undefined);
  const state = decodeGroupState(mls, stored);
  const signing = malAccount.mlsSignaturePrivateKey;
  ok(signing !== undefined);
  const ghost = forgedKeyPackage(bobAccount.accountId, 1);
  const crafted = createCommit(mls, state, {
    signaturePrivateKey: fromBase64(signing),
    proposals: [{ proposalType: ProposalType.add, keyPackage: ghost }],
    privateMessage: true,
    psks: () => undefined,
    policy: { authenticate: () => true },
  });
  const posted = await asDevice(malAccount, 'POST', `/v1/groups/${groupId}/commits`, {
    epoch,
    commit: toBase64(encodeMlsMessage(crafted.message)),
    members: (
      (await (await asDevice(malAccount, 'GET', `/v1/groups/${groupId}`)).json()) as {
        members: unknown[];
      }
    ).members,
  });
  strictEqual(posted.status, 200);

  for (const c of [alice, bob]) {
    const events = await c.receive();
    const refused = events.find((e) => e.type === 'group-refused');
    ok(refused?.type === 'group-refused', JSON.stringify(events));
    strictEqual(refused.code, 'UNBACKED_MEMBER');
    strictEqual(refused.groupId, groupId);
    // State unchanged: same epoch, same roster; the group is marked as unable to follow.
    strictEqual(epochOf(c, groupId), epoch);
    deepStrictEqual(members(c, groupId), ['g4alice:1', 'g4bob:1', 'g4mallory:1']);
    strictEqual(c.groups()[0]?.blocked?.code, 'UNBACKED_MEMBER');
  }
});

test('ghost member: a KeyPackage the relay hands out for an unlisted device is not added', async () => {
  const alice = newClient(relay.base);
  const bob = newClient(relay.base);
  await alice.register('g5alice');
  const bobAccount = await bob.register('g5bob');
  // The relay (or anyone with bob's device secret) adds a device bob's account key never signed,
  // and uploads a KeyPackage for it.
  const token = (await (await asDevice(bobAccount, 'POST', '/v1/devices/link-tokens')).json()) as {
    linkToken: string;
  };
  const ghostSecret = Buffer.alloc(32, 9).toString('base64');
  const linkedGhost = await fetch(`${relay.base}/v1/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      linkToken: token.linkToken,
      device: {
        secret: ghostSecret,
        registrationId: 7,
        identityKey: toBase64(new Uint8Array(33).fill(5)),
      },
    }),
  });
  strictEqual(linkedGhost.status, 201);
  const ghostId = ((await linkedGhost.json()) as { deviceId: number }).deviceId;
  const ghost = { accountId: bobAccount.accountId, deviceId: ghostId, secret: ghostSecret };
  const kp = forgedKeyPackage(bobAccount.accountId, ghostId);
  const uploaded = await asDevice(ghost, 'PUT', '/v1/mls/key-packages', {
    keyPackages: [
      toBase64(encodeMlsMessage({ wireFormat: WireFormat.keyPackage, keyPackage: kp })),
    ],
  });
  strictEqual(uploaded.status, 204);

  const { groupId, events } = await alice.createGroup('no ghosts', ['g5bob']);
  const refused = events.filter((e) => e.type === 'group-refused');
  strictEqual(refused.length, 1);
  ok(refused[0]?.type === 'group-refused' && refused[0].code === 'UNBACKED_MEMBER');
  deepStrictEqual(members(alice, groupId), ['g5alice:1', 'g5bob:1']);
  // The ghost device's queue never got the Welcome.
  const queue = (await (await asDevice(ghost, 'GET', '/v1/messages')).json()) as {
    messages: Envelope[];
  };
  deepStrictEqual(
    queue.messages.filter((m) => m.type === 33),
    [],
  );
  deepStrictEqual(changes(await bob.receive()), ['g5alice joined g5bob']);
});

test('KeyPackages: uploaded at registration, replenished after a Welcome when few are left', async () => {
  const alice = newClient(relay.base);
  const bob = newClient(relay.base);
  const aliceAccount = await alice.register('g6alice');
  const bobAccount = await bob.register('g6bob');
  const status = async (): Promise<{ oneTime: number; lastResort: boolean }> =>
    (await (await asDevice(bobAccount, 'GET', '/v1/mls/key-packages/status')).json()) as {
      oneTime: number;
      lastResort: boolean;
    };
  deepStrictEqual(await status(), {
    oneTime: clientLimits.MLS_KEY_PACKAGE_BATCH,
    lastResort: true,
  });
  // Others claim bob's packages until few are left (the relay hands one per claim).
  const claims = clientLimits.MLS_KEY_PACKAGE_BATCH - clientLimits.MLS_KEY_PACKAGE_LOW + 1;
  for (let i = 0; i < claims; i++)
    strictEqual(
      (await asDevice(aliceAccount, 'POST', `/v1/mls/key-packages/${bobAccount.accountId}/claim`))
        .status,
      200,
    );
  await alice.createGroup('refill', ['g6bob']);
  const left = clientLimits.MLS_KEY_PACKAGE_LOW - 2;
  strictEqual((await status()).oneTime, left);
  deepStrictEqual(changes(await bob.receive()), ['g6alice joined g6bob']);
  strictEqual((await status()).oneTime, left + clientLimits.MLS_KEY_PACKAGE_BATCH);
});
