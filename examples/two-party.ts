import * as signal from '@parley/protocol';
import { createNodePrimitives } from '@parley/primitives-node';

const p = createNodePrimitives();
const now = Date.now();

function party(name: string) {
  const identity = signal.generateIdentityKeyPair(p);
  const registrationId = signal.generateRegistrationId(p);
  const stores = signal.createInMemoryStores(identity, registrationId);
  const address = { name, deviceId: 1 };
  const ctx = { primitives: p, stores, localAddress: address };
  return { identity, registrationId, stores, address, ctx };
}
const alice = party('alice');
const bob = party('bob');

// Bob publishes a prekey bundle (in Parley the relay hands it out).
const signedPreKey = signal.generateSignedPreKey(p, bob.identity, 1, now);
const kyberPreKey = signal.generateKyberPreKey(p, bob.identity, 2, now, false);
await bob.stores.signedPreKeys.saveSignedPreKey(signedPreKey);
await bob.stores.kyberPreKeys.saveKyberPreKey(kyberPreKey);
const bundle = signal.makeBundle({
  registrationId: bob.registrationId,
  deviceId: 1,
  identity: bob.identity,
  signedPreKey,
  kyberPreKey,
  preKey: undefined,
});

// Alice starts a PQXDH session and encrypts; every step is computed, then committed.
const setup = await signal.processPreKeyBundle(alice.ctx, bob.address, bundle, now);
await signal.commitChanges(alice.stores, setup.changes);
const sent = await signal.encrypt(alice.ctx, bob.address, new TextEncoder().encode('hi Bob'), now);
await signal.commitChanges(alice.stores, sent.changes);

// Bob decrypts the PreKey message, commits, and only then would acknowledge it to the relay.
const { type, serialized } = sent.output;
const got = await signal.decrypt(bob.ctx, alice.address, type, serialized);
await signal.commitChanges(bob.stores, got.changes);
export const received = new TextDecoder().decode(got.output);
console.log(received); // hi Bob
