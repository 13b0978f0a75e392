/** Rejections and limits: bundles, identities, expiry, the address binding, SPQR framing, records. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  ProtocolError,
  commitChanges,
  decrypt,
  deserializeSessionRecord,
  encrypt,
  generateIdentityKeyPair,
  limits,
  parsePreKeySignalMessage,
  parseSpqrMessage,
  processPreKeyBundle,
  verifyBundle,
} from '@parley/protocol';
import { NOW, Party } from './party.js';

const p = createNodePrimitives();
const code = (c: string) => (e: unknown) => e instanceof ProtocolError && e.code === c;
const enc = (s: string) => new TextEncoder().encode(s);

test('bundle: a bad signed-prekey or Kyber signature is INVALID_SIGNATURE, nothing stored', async () => {
  const alice = new Party(p);
  const bob = new Party(p);
  const good = await bob.bundle();
  verifyBundle(p, good);
  const flip = (sig: Uint8Array) => Uint8Array.of((sig[0] ?? 0) ^ 1, ...sig.subarray(1));
  const badSpk = {
    ...good,
    signedPreKey: { ...good.signedPreKey, signature: flip(good.signedPreKey.signature) },
  };
  const badKyber = {
    ...good,
    kyberPreKey: { ...good.kyberPreKey, signature: flip(good.kyberPreKey.signature) },
  };
  const swapped = { ...good, identityKey: generateIdentityKeyPair(p).publicKey };
  for (const bundle of [badSpk, badKyber, swapped]) {
    await assert.rejects(
      processPreKeyBundle(alice.ctx, bob.address, bundle, NOW),
      code('INVALID_SIGNATURE'),
    );
  }
  assert.equal(alice.stores.sessions.records.size, 0);
});

test('identity: a changed identity key is UNTRUSTED_IDENTITY on bundle and on PreKey message', async () => {
  const alice = new Party(p);
  const bob = new Party(p);
  await alice.connect(bob);
  await bob.receive(alice, await alice.send(bob, 'hi'));
  const impostor = new Party(p, bob.address.name, bob.address.deviceId);
  await assert.rejects(
    processPreKeyBundle(alice.ctx, bob.address, await impostor.bundle(), NOW),
    code('UNTRUSTED_IDENTITY'),
  );
  const fakeAlice = new Party(p, alice.address.name, alice.address.deviceId);
  await fakeAlice.connect(bob);
  const before = bob.snapshot();
  await assert.rejects(
    bob.receive(alice, await fakeAlice.send(bob, 'x')),
    code('UNTRUSTED_IDENTITY'),
  );
  assert.equal(bob.snapshot(), before);
});

test('a session never acknowledged stops encrypting after 30 days', async () => {
  const alice = new Party(p);
  const bob = new Party(p);
  await alice.connect(bob);
  const late = NOW + limits.MAX_UNACKNOWLEDGED_SESSION_AGE_MS + 1;
  await encrypt(alice.ctx, bob.address, enc('ok'), NOW + limits.MAX_UNACKNOWLEDGED_SESSION_AGE_MS);
  await assert.rejects(encrypt(alice.ctx, bob.address, enc('late'), late), code('NO_SESSION'));
  await bob.receive(alice, await alice.send(bob, 'first'));
  await alice.receive(bob, await bob.send(alice, 'reply'));
  const r = await encrypt(alice.ctx, bob.address, enc('acknowledged'), late);
  assert.equal(r.output.type, 2);
});

test('addresses: a PreKey message for another recipient device is rejected', async () => {
  const alice = new Party(p);
  const bob = new Party(p, '11111111-2222-4333-8444-555555555555', 1);
  // The same keys and stores as device 2: only the address binding tells them apart.
  const ctx2 = { ...bob.ctx, localAddress: { ...bob.address, deviceId: 2 } };
  await alice.connect(bob);
  const m = await alice.send(bob, 'for device 1');
  assert.equal(parsePreKeySignalMessage(m.serialized).message.addresses?.length, 36);
  await assert.rejects(
    decrypt(ctx2, alice.address, m.type, m.serialized),
    code('DECRYPTION_FAILED'),
  );
  assert.equal(await bob.receive(alice, m), 'for device 1');
});

test('misuse: device ids outside 1..127 and oversized plaintexts', async () => {
  const alice = new Party(p);
  const bob = new Party(p);
  await alice.connect(bob);
  for (const deviceId of [0, 128, 1.5]) {
    await assert.rejects(
      encrypt(alice.ctx, { ...bob.address, deviceId }, enc('x'), NOW),
      code('MISUSE'),
    );
  }
  const big = new Uint8Array(limits.MAX_PLAINTEXT_BYTES + 1);
  await assert.rejects(encrypt(alice.ctx, bob.address, big, NOW), code('MISUSE'));
  await assert.rejects(
    decrypt(alice.ctx, bob.address, 7, Uint8Array.of(0x44)),
    code('INVALID_MESSAGE'),
  );
  await assert.rejects(encrypt(bob.ctx, alice.address, enc('x'), NOW), code('NO_SESSION'));
});

test('archived states: at most 40 are kept, and an old one still decrypts when promoted', async () => {
  const alice = new Party(p);
  const bob = new Party(p);
  await alice.connect(bob);
  await bob.receive(alice, await alice.send(bob, 'first'));
  await alice.receive(bob, await bob.send(alice, 'reply'));
  const old = await alice.send(bob, 'from the first session');
  for (let i = 0; i < 3; i++) {
    await bob.connect(alice); // a new current state on Bob's side each time
  }
  assert.equal(await bob.receive(alice, old), 'from the first session');
  for (let i = 0; i < 45; i++) {
    const r = await processPreKeyBundle(bob.ctx, alice.address, await alice.bundle(false), NOW);
    await commitChanges(bob.stores, r.changes);
  }
  const record = await bob.stores.sessions.loadSession(alice.address);
  assert.equal(record?.previous.length, limits.ARCHIVED_STATES_MAX_LENGTH);
});

test('receiving chains: at most 5 are kept', async () => {
  const alice = new Party(p);
  const bob = new Party(p);
  await alice.connect(bob);
  for (let i = 0; i < 8; i++) {
    await bob.receive(alice, await alice.send(bob, `a${i}`));
    await alice.receive(bob, await bob.send(alice, `b${i}`));
  }
  const record = await bob.stores.sessions.loadSession(alice.address);
  assert.equal(record?.current?.receivers.length, limits.MAX_RECEIVER_CHAINS);
});

test('SPQR framing: V1 None and chunk frames parse; others do not (spec §6.2)', () => {
  assert.deepEqual(parseSpqrMessage(Uint8Array.of(1, 1, 1, 0)), { epoch: 1, index: 1, type: 0 });
  const hdr = Uint8Array.of(1, 1, 1, 1, 0, ...new Uint8Array(32));
  assert.deepEqual(parseSpqrMessage(hdr), {
    epoch: 1,
    index: 1,
    type: 1,
    chunk: { index: 0, data: new Uint8Array(32) },
  });
  assert.equal(parseSpqrMessage(hdr.subarray(0, 36)), undefined, 'short chunk');
  assert.deepEqual(parseSpqrMessage(Uint8Array.of(1, 1, 5, 4)), { epoch: 1, index: 5, type: 4 });
  assert.deepEqual(parseSpqrMessage(Uint8Array.of(1, 2, 0x80, 0x01, 0, 9, 9)), {
    epoch: 2,
    index: 128,
    type: 0,
  });
  for (const bad of [
    [],
    [2, 1, 1, 0],
    [1, 0, 1, 0],
    [1, 1, 1, 7],
    [1, 1, 0x80],
    [1, 1, 1, 1, 0xff, 0xff, 0x04],
  ]) {
    assert.equal(parseSpqrMessage(Uint8Array.from(bad)), undefined, JSON.stringify(bad));
  }
});

test('records over the limits are INVALID_RECORD', () => {
  assert.throws(
    () => deserializeSessionRecord(new Uint8Array(limits.MAX_RECORD_BYTES + 1)),
    code('INVALID_RECORD'),
  );
});
