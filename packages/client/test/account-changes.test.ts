// Changing the account key in place, and a non-primary device removing itself, against the
// real relay (through the hostile proxy where an answer is lost or forged).
import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ClientEvent, ParleyClient } from '../src/client.js';
import { ClientError } from '../src/errors.js';
import { records } from '../src/state.js';
import { MemoryBackend } from '../src/storage.js';
import { endorseAccountKey, endorsed } from '../src/account-key.js';
import { newClient, nodeFetch, primitives, startRelay, type TestRelay } from './harness.js';
import { startHostileRelay, type HostileRelay } from './hostile-relay.js';

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
  events.flatMap((e) =>
    e.type === 'message' || e.type === 'group-message' ? [e.message.text] : [],
  );

async function linked(primary: ParleyClient, store = new MemoryBackend()): Promise<ParleyClient> {
  const laptop = newClient(hostile.base, nodeFetch, store);
  const pending = await laptop.startLink();
  await Promise.all([primary.approveLink(pending.code), pending.complete()]);
  return laptop;
}

test('account key change: other devices follow, contacts see a change to verify and keep reading', async () => {
  hostile.reset();
  const aliceStore = new MemoryBackend();
  const alice = newClient(hostile.base, nodeFetch, aliceStore);
  const bob = newClient(hostile.base);
  await alice.register('akalice');
  await bob.register('akbob');
  const laptop = await linked(alice);
  const { groupId } = await bob.createGroup('after the change', ['akalice']);
  await alice.receive();
  await laptop.receive();
  await alice.send('akbob', 'before');
  deepStrictEqual(texts(await bob.receive()), ['before']);
  const before = await bob.safetyNumber('akalice');

  // The relay's answer to the change is lost: the primary keeps the new key aside and finishes
  // on the next attempt.
  let lose = true;
  hostile.rewrite((x) => {
    if (!lose || x.path !== '/v1/accounts/me/identity-key') return undefined;
    lose = false;
    return { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'lost' } } };
  });
  const oldKey = alice.account?.accountKey;
  await rejects(alice.changeAccountKey(), isCode('RELAY'));
  strictEqual(alice.account?.accountKey, oldKey);
  ok(records.account(aliceStore)?.pendingAccountKey !== undefined);
  await alice.changeAccountKey();
  hostile.reset();
  const newKey = alice.account?.accountKey;
  ok(newKey !== oldKey);
  strictEqual(records.account(aliceStore)?.pendingAccountKey, undefined);

  // The laptop takes the new key on the old key's word, and keeps working.
  const seen = await laptop.receive();
  ok(seen.some((e) => e.type === 'account-key-changed'));
  strictEqual(laptop.account?.accountKey, newKey);
  await laptop.send('akbob', 'from the laptop, after');

  // Bob: a key change noticed while receiving; what alice's verified devices sent is shown.
  const atBob = await bob.receive();
  ok(atBob.some((e) => e.type === 'key-changed' && e.username === 'akalice'));
  deepStrictEqual(texts(atBob), ['from the laptop, after']);
  await rejects(bob.send('akalice', 'blocked'), isCode('KEY_CHANGED'));
  const changed = await bob.safetyNumber('akalice');
  ok(changed.keyChanged);
  ok(changed.digits !== before.digits);
  bob.acceptKey('akalice');
  await bob.send('akalice', 'accepted');
  deepStrictEqual(texts(await alice.receive()), ['accepted']);
  deepStrictEqual(texts(await laptop.receive()), ['accepted']);
  // Groups go on: alice's leaves were backed by her devices' keys all along.
  await alice.sendToGroup(groupId, 'still in the group');
  deepStrictEqual(texts(await bob.receive()), ['still in the group']);
});

test('account key change: the endorsement holds only for that account, new key and old key', () => {
  const old = primitives.xeddsa.generateKeyPair();
  const other = primitives.xeddsa.generateKeyPair();
  const newKey = Uint8Array.of(5, ...primitives.xeddsa.generateKeyPair().publicKey);
  const sig = endorseAccountKey(primitives, old.privateKey, 'acct', newKey);
  ok(endorsed(primitives, old.publicKey, 'acct', newKey, sig));
  ok(!endorsed(primitives, other.publicKey, 'acct', newKey, sig));
  ok(!endorsed(primitives, old.publicKey, 'acct2', newKey, sig));
  ok(!endorsed(primitives, old.publicKey, 'acct', Uint8Array.of(5, ...other.publicKey), sig));
});

test('a non-primary device removes itself; the primary signs it out of the list', async () => {
  hostile.reset();
  const alice = newClient(hostile.base);
  const bob = newClient(hostile.base);
  await alice.register('rmalice');
  await bob.register('rmbob');
  const laptopStore = new MemoryBackend();
  const laptop = await linked(alice, laptopStore);
  const laptopId = laptop.account?.deviceId ?? 0;
  await rejects(laptop.removeDevice(1), isCode('MISUSE'));
  await rejects(alice.removeDevice(1), isCode('MISUSE'));
  await laptop.removeDevice(laptopId);
  strictEqual(laptop.account, undefined);
  strictEqual(records.account(laptopStore), undefined);
  await alice.receive();
  deepStrictEqual(
    (await alice.devices()).map((d) => [d.deviceId, d.signed]),
    [[1, true]],
  );
  const version = alice.account?.deviceListVersion;
  await bob.send('rmalice', 'only the phone');
  deepStrictEqual(texts(await alice.receive()), ['only the phone']);
  strictEqual(alice.account?.deviceListVersion, version);
});
