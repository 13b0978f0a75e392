// Every value the client takes from a relay answer, wrong: each case makes the hostile proxy
// send one malformed or contradictory value and checks the exact refusal and that nothing was
// stored from it. SECURITY.md ("What the client takes from the relay") lists each value with
// what it is trusted for and the test that checks it; these are the cases not covered by the
// scenario tests in hostile-relay.test.ts, groups.test.ts and client.test.ts.
import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addressKey } from '@parley/protocol';
import type { ClientEvent, ParleyClient } from '../src/client.js';
import { ClientError } from '../src/errors.js';
import { NS, records } from '../src/state.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, startRelay, type TestRelay } from './harness.js';
import {
  startHostileRelay,
  type Answer,
  type Exchange,
  type HostileRelay,
} from './hostile-relay.js';

let relay: TestRelay;
let hostile: HostileRelay;
before(async () => {
  relay = await startRelay();
  hostile = await startHostileRelay(relay.base);
});
after(async () => {
  await hostile.close();
  await relay.close();
});

const isCode = (code: string) => (e: unknown) => e instanceof ClientError && e.code === code;
const texts = (events: readonly ClientEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'message' ? [e.message.text] : []));

let n = 0;
/** Two fresh users behind the proxy (the proxy honest while they register). */
async function pair(): Promise<{
  alice: ParleyClient;
  bob: ParleyClient;
  aliceStore: MemoryBackend;
  names: [string, string];
}> {
  hostile.reset();
  n++;
  const aliceStore = new MemoryBackend();
  const alice = newClient(hostile.base, nodeFetch, aliceStore);
  const bob = newClient(hostile.base, nodeFetch, new MemoryBackend());
  const names: [string, string] = [`ra${n}alice`, `ra${n}bob`];
  await alice.register(names[0]);
  await bob.register(names[1]);
  return { alice, bob, aliceStore, names };
}

/** Rewrites the answers to `method` on paths matching `path`, once or always. */
function corrupt(
  method: string,
  path: RegExp,
  edit: (body: unknown) => unknown,
  times = Infinity,
): void {
  let left = times;
  hostile.rewrite((x: Exchange, a: Answer) => {
    if (x.method !== method || !path.test(x.path) || left <= 0) return undefined;
    left--;
    return { status: a.status, body: edit(a.body) };
  });
}

test('account by username: a key of the wrong form, or another user, is refused; no contact stored', async () => {
  const { alice, aliceStore, names } = await pair();
  corrupt('GET', /by-username/, (b) => ({ ...(b as object), identityKey: 42 }));
  await rejects(alice.send(names[1], 'x'), isCode('RELAY_INCONSISTENT'));
  hostile.reset();
  corrupt('GET', /by-username/, (b) => ({ ...(b as object), username: 'someone_else' }));
  await rejects(alice.send(names[1], 'x'), isCode('RELAY_INCONSISTENT'));
  strictEqual(records.contact(aliceStore, names[1]), undefined);
});

test('account by id: an answer for another account is refused; the message waits, then is shown', async () => {
  const { alice, bob, aliceStore, names } = await pair();
  await bob.send(names[0], 'who am I');
  corrupt('GET', /^\/v1\/accounts\/[^/]+$/, (b) => ({
    ...(b as object),
    accountId: '00000000-0000-4000-8000-000000000000',
  }));
  const events = await alice.receive();
  ok(events.some((e) => e.type === 'deferred'));
  strictEqual(records.contact(aliceStore, names[1]), undefined);
  hostile.reset();
  deepStrictEqual(texts(await alice.receive()), ['who am I']);
});

test('device list: a malformed answer stops the send; nothing is encrypted', async () => {
  const { alice, aliceStore, names } = await pair();
  corrupt('GET', /\/device-list$/, () => ({ version: 'one', blob: 7 }));
  await rejects(alice.send(names[1], 'x'), isCode('RELAY_INCONSISTENT'));
  strictEqual(aliceStore.list(NS.session).length, 0);
});

test('prekey bundle: a device id out of range is refused; no session is made', async () => {
  const { alice, aliceStore, names } = await pair();
  corrupt('GET', /^\/v1\/keys\/[^/]+$/, (b) => {
    const bundle = b as { devices: { deviceId: number }[] };
    return { ...bundle, devices: bundle.devices.map((d) => ({ ...d, deviceId: 0 })) };
  });
  await rejects(alice.send(names[1], 'x'), isCode('RELAY_INCONSISTENT'));
  strictEqual(aliceStore.list(NS.session).length, 0);
});

test('send result: a malformed answer leaves the message queued; the retry delivers it once', async () => {
  const { alice, bob, names } = await pair();
  corrupt('POST', /^\/v1\/messages$/, (b) => ({ ...(b as object), serverTimestamp: -1 }), 1);
  await rejects(alice.send(names[1], 'once'), isCode('RELAY_INCONSISTENT'));
  strictEqual(await alice.flushOutbox(), 0);
  deepStrictEqual(texts(await bob.receive()), ['once']);
});

test('device mismatch: malformed details are refused; stale devices of other accounts are ignored', async () => {
  const { alice, bob, aliceStore, names } = await pair();
  const carol = newClient(hostile.base, nodeFetch, new MemoryBackend());
  const carolName = `ra${n}carol`;
  const carolAccount = await carol.register(carolName);
  await alice.send(carolName, 'hi carol');
  const carolSession = addressKey({ name: carolAccount.accountId, deviceId: 1 });
  ok(aliceStore.get(NS.session, carolSession) !== undefined);
  let once = true;
  hostile.intercept((x) => {
    if (!once || x.method !== 'POST' || x.path !== '/v1/messages') return undefined;
    once = false;
    return {
      status: 409,
      body: { error: { code: 'DEVICE_MISMATCH', message: 'x', details: { accounts: 'x' } } },
    };
  });
  await rejects(alice.send(names[1], 'first'), isCode('RELAY_INCONSISTENT'));
  hostile.reset();
  once = true;
  hostile.intercept((x) => {
    if (!once || x.method !== 'POST' || x.path !== '/v1/messages') return undefined;
    once = false;
    const details = {
      accounts: [{ accountId: carolAccount.accountId, missing: [], extra: [], stale: [1] }],
    };
    return { status: 409, body: { error: { code: 'DEVICE_MISMATCH', message: 'x', details } } };
  });
  await alice.send(names[1], 'second');
  hostile.reset();
  ok(aliceStore.get(NS.session, carolSession) !== undefined, 'carol’s session kept');
  strictEqual(await alice.flushOutbox(), 0);
  deepStrictEqual(texts(await bob.receive()).sort(), ['first', 'second']);
});

test('message page: a malformed page is refused and nothing is acknowledged', async () => {
  const { alice, bob, names } = await pair();
  await bob.send(names[0], 'kept');
  corrupt('GET', /^\/v1\/messages$/, () => ({ messages: 'x', more: false }));
  await rejects(alice.receive(), isCode('RELAY_INCONSISTENT'));
  hostile.reset();
  deepStrictEqual(texts(await alice.receive()), ['kept']);
});

test('devices: a malformed device list from the relay is refused', async () => {
  const { alice } = await pair();
  corrupt('GET', /^\/v1\/devices$/, () => ({ devices: [{ deviceId: '1', createdAt: 0 }] }));
  await rejects(alice.devices(), isCode('RELAY_INCONSISTENT'));
});

test('link: the relay linking the new device to another account is refused; the device stores nothing', async () => {
  const { alice } = await pair();
  const laptopStore = new MemoryBackend();
  const laptop = newClient(hostile.base, nodeFetch, laptopStore);
  corrupt('POST', /^\/v1\/devices$/, (b) => ({
    ...(b as object),
    accountId: '00000000-0000-4000-8000-000000000000',
  }));
  const pending = await laptop.startLink();
  const version = alice.account?.deviceListVersion;
  // The primary waits for the new device's sealed answer, which never comes: it signs nothing.
  const approving = alice.approveLink(pending.code).catch((e: unknown) => e);
  await rejects(pending.complete(), isCode('RELAY_INCONSISTENT'));
  strictEqual(laptop.account, undefined);
  strictEqual(records.account(laptopStore), undefined);
  strictEqual(alice.account?.deviceListVersion, version);
  void approving;
});

test('KeyPackage claim: a malformed claim is refused; no group is made with it', async () => {
  const { alice, names } = await pair();
  corrupt('POST', /\/claim$/, () => ({ devices: [{ deviceId: 1, keyPackage: 5 }] }));
  await rejects(alice.createGroup('claims', [names[1]]), isCode('RELAY_INCONSISTENT'));
  hostile.reset();
  // The group exists with alice alone; adding bob works once the relay behaves.
  const g = alice.groups()[0];
  ok(g !== undefined);
  await alice.addToGroup(g.groupId, [names[1]]);
  deepStrictEqual(
    alice
      .groups()[0]
      ?.members.map((m) => m.username)
      .sort(),
    [...names].sort(),
  );
});

test('commit log: a malformed log answer defers the wake-up; the group catches up later', async () => {
  const { alice, bob, names } = await pair();
  const { groupId } = await alice.createGroup('log', [names[1]]);
  await bob.receive();
  const carol = newClient(hostile.base, nodeFetch, new MemoryBackend());
  await carol.register(`ra${n}carol`);
  await alice.addToGroup(groupId, [`ra${n}carol`]);
  corrupt('GET', /\/commits$/, () => ({ commits: [{ epoch: -1 }], more: false }));
  const events = await bob.receive();
  ok(
    events.some((e) => e.type === 'deferred'),
    JSON.stringify(events),
  );
  strictEqual(bob.groups()[0]?.members.length, 2);
  hostile.reset();
  await bob.receive();
  strictEqual(bob.groups()[0]?.members.length, 3);
  strictEqual(bob.groups()[0]?.blocked, undefined);
});

test('key counts: a malformed answer does not cost the events of a receive', async () => {
  const { alice, bob, names } = await pair();
  await bob.send(names[0], 'first contact');
  corrupt('GET', /^\/v1\/keys\/status$/, () => ({ low: 'yes' }));
  deepStrictEqual(texts(await alice.receive()), ['first contact']);
});
