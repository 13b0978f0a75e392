/**
 * Our ratchet keys are `session` keys for the backend (`KeyLifetime`): every agreement with one
 * says so, and a DH ratchet step that decrypts tells the backend to forget the key it replaced
 * (`x25519.forget`), exactly once, and only once the message has authenticated.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constantTimeEqual } from '@parley/bytes';
import type { KeyLifetime, Primitives } from '@parley/primitives';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  ProtocolError,
  parsePreKeySignalMessage,
  parseSignalMessage,
  type EncryptedMessage,
} from '@parley/protocol';
import { Party } from './party.js';

/** A backend that records `forget` calls and the lifetime of every agreement. */
function recording(p: Primitives): {
  readonly p: Primitives;
  readonly forgotten: Uint8Array[];
  readonly lifetimes: (KeyLifetime | undefined)[];
} {
  const forgotten: Uint8Array[] = [];
  const lifetimes: (KeyLifetime | undefined)[] = [];
  const x25519 = {
    ...p.x25519,
    sharedSecret: (privateKey: Uint8Array, publicKey: Uint8Array, lifetime?: KeyLifetime) => {
      lifetimes.push(lifetime);
      return p.x25519.sharedSecret(privateKey, publicKey, lifetime);
    },
    forget: (privateKey: Uint8Array) => {
      forgotten.push(Uint8Array.from(privateKey));
      p.x25519.forget(privateKey);
    },
  };
  return { p: { ...p, x25519 }, forgotten, lifetimes };
}

function ratchetKeyOf(m: EncryptedMessage): Uint8Array {
  return m.type === 3
    ? parsePreKeySignalMessage(m.serialized).message.ratchetKey
    : parseSignalMessage(m.serialized).ratchetKey;
}

for (const base of [createNodePrimitives(), createNoblePrimitives()]) {
  const name = (s: string) => `${base.backend}: ${s}`;

  test(name('each DH ratchet step forgets the ratchet key it replaced, once'), async () => {
    const a = recording(base);
    const alice = new Party(a.p);
    const bob = new Party(base);
    await alice.connect(bob, false);
    let sent = await alice.send(bob, 'hello');
    await bob.receive(alice, sent);
    for (let i = 0; i < 6; i++) {
      // Alice's key in her last message is the one her next step replaces.
      const previous = ratchetKeyOf(sent);
      const reply = await bob.send(alice, `reply ${i}`);
      const before = a.forgotten.length;
      assert.equal(await alice.receive(bob, reply), `reply ${i}`);
      assert.equal(a.forgotten.length, before + 1);
      const forgotten = a.forgotten.at(-1);
      assert.ok(forgotten);
      assert.ok(constantTimeEqual(base.x25519.publicKey(forgotten), previous));
      // A second message on the same receiving chain is no step: nothing more is forgotten.
      assert.equal(await alice.receive(bob, await bob.send(alice, 'again')), 'again');
      assert.equal(a.forgotten.length, before + 1);
      sent = await alice.send(bob, `next ${i}`);
      assert.ok(!constantTimeEqual(ratchetKeyOf(sent), previous));
      await bob.receive(alice, sent);
    }
    // Every agreement with a ratchet key was a session one; setup used long-lived and
    // ephemeral keys too (identity, signed prekey, base key).
    assert.ok(a.lifetimes.filter((l) => l === 'session').length >= 2 * 6);
  });

  test(name('a step that fails to authenticate forgets nothing'), async () => {
    const a = recording(base);
    const alice = new Party(a.p);
    const bob = new Party(base);
    await alice.connect(bob, false);
    await bob.receive(alice, await alice.send(bob, 'hello'));
    const reply = await bob.send(alice, 'reply');
    const forged = Uint8Array.from(reply.serialized);
    const last = forged.length - 1;
    forged[last] = (forged[last] ?? 0) ^ 1;
    const before = a.forgotten.length;
    await assert.rejects(
      alice.receive(bob, { ...reply, serialized: forged }),
      (e) => e instanceof ProtocolError && e.code === 'DECRYPTION_FAILED',
    );
    assert.equal(a.forgotten.length, before);
    assert.equal(await alice.receive(bob, reply), 'reply');
    assert.equal(a.forgotten.length, before + 1);
  });
}
