/**
 * Sealed sender remembers the agreement between two identity keys (sealed/static-agreements.ts):
 * a repeated seal or open to the same key computes one X25519 agreement fewer, what it gives is
 * what a backend without the memory computes, and the memory is bounded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Primitives } from '@parley/primitives';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  SealedContentType,
  createContent,
  createSenderCertificate,
  createServerCertificate,
  generateKeyPair,
  limits,
  sealV1,
  sealedSenderDecryptToContent,
  type KeyPair,
} from '@parley/protocol';

/** A backend of its own (so its own memory) that counts X25519 agreements. */
function counting(p: Primitives): { readonly p: Primitives; agreements(): number } {
  let n = 0;
  const x25519 = {
    ...p.x25519,
    sharedSecret: (...args: Parameters<Primitives['x25519']['sharedSecret']>) => {
      n++;
      return p.x25519.sharedSecret(...args);
    },
  };
  return { p: { ...p, x25519 }, agreements: () => n };
}

function content(p: Primitives, sender: KeyPair): Uint8Array {
  const root = generateKeyPair(p);
  const serverKey = generateKeyPair(p);
  const server = createServerCertificate(p, 1, serverKey.publicKey, root.privateKey);
  const certificate = createSenderCertificate(
    p,
    {
      senderUuid: '9d0652a3-dcc3-4d11-975f-74d61598733f',
      senderDeviceId: 1,
      expiration: 1,
      identityKey: sender.publicKey,
    },
    server,
    serverKey.privateKey,
  );
  return createContent({
    type: SealedContentType.Whisper,
    senderCertificate: certificate,
    content: new Uint8Array(40).fill(7),
  }).serialized;
}

for (const base of [createNodePrimitives(), createNoblePrimitives()]) {
  const name = (s: string) => `${base.backend}: ${s}`;

  test(name('a repeated v1 seal and open compute the identity agreement once'), () => {
    const alice = generateKeyPair(base);
    const bob = generateKeyPair(base);
    const usmc = content(base, alice);
    const sender = counting(base);
    const receiver = counting(base);
    for (let i = 0; i < 3; i++) {
      const before = [sender.agreements(), receiver.agreements()];
      const sealed = sealV1(sender.p, alice, bob.publicKey, usmc);
      const opened = sealedSenderDecryptToContent(receiver.p, bob, sealed);
      assert.deepEqual(opened.serialized, usmc);
      // Ephemeral agreement always; the identity agreement only the first time.
      const expected = i === 0 ? 2 : 1;
      assert.equal(sender.agreements() - (before[0] ?? 0), expected);
      assert.equal(receiver.agreements() - (before[1] ?? 0), expected);
      // A backend that never saw these keys opens the same envelope to the same content.
      const fresh = counting(base).p;
      assert.deepEqual(sealedSenderDecryptToContent(fresh, bob, sealed).serialized, usmc);
    }
  });
}

// The bound does not depend on the backend; node makes the 1,025 key pairs fast.
test('remembered agreements are bounded: the least recently used goes first', () => {
  const base = createNodePrimitives();
  const alice = generateKeyPair(base);
  const usmc = content(base, alice);
  const sender = counting(base);
  const recipients = Array.from({ length: limits.MAX_STATIC_AGREEMENTS_CACHED + 1 }, () =>
    generateKeyPair(base),
  );
  for (const r of recipients) sealV1(sender.p, alice, r.publicKey, usmc);
  const cost = (r: KeyPair | undefined): number => {
    assert.ok(r);
    const before = sender.agreements();
    sealV1(sender.p, alice, r.publicKey, usmc);
    return sender.agreements() - before;
  };
  assert.equal(cost(recipients.at(-1)), 1, 'the newest is remembered');
  assert.equal(cost(recipients[0]), 2, 'the oldest was dropped');
});
