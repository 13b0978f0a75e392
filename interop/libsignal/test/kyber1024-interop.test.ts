/**
 * Round-3 Kyber1024 against libsignal 0.103.0, proven through the protocol (spec §3, §4, §6.2):
 * libsignal's Node API does not expose KEM encapsulation, so a shared secret is right exactly
 * when a session set up with it decrypts. Our side is `@parley/protocol` with the KEM swapped
 * in its `Primitives` where a check needs another KEM (ML-KEM, a fixed vector, a wrong secret).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { KyberPreKeyRecord } from '@signalapp/libsignal-client';
import { ProtoReader } from '@parley/bytes';
import type { Kem, Primitives } from '@parley/primitives';
import { OurParty } from '@parley/interop-peer/our-party';
import { ProtocolError, parsePreKeySignalMessage } from '@parley/protocol';
import { backends } from './backends.js';
import {
  KYBER_KEY_TYPE,
  LibsignalParty,
  kyberPreKeyRecordFromRaw,
  typed,
} from './libsignal-parties.js';
import { LibsignalPeerParty } from './libsignal-peer-party.js';

const encoder = new TextEncoder();

/** `p` with its Kyber1024 replaced: how a check runs the real protocol over another KEM. */
function withKem(p: Primitives, kem: Kem): Primitives {
  return { ...p, kem: { ...p.kem, kyber1024: kem } };
}

/** A KEM whose encapsulation is fixed (or altered) but which otherwise is `base`. */
function encapsulatingAs(
  base: Kem,
  encapsulate: (pk: Uint8Array) => { ciphertext: Uint8Array; sharedSecret: Uint8Array },
): Kem {
  return { ...base, encapsulate };
}

/** libsignal first message to our responder, whose primitives are `p`. */
async function libsignalToOurs(p: Primitives, oneTime: boolean, text: string) {
  const alice = new LibsignalPeerParty();
  const bob = OurParty.create(p);
  await alice.processBundle(await bob.bundle(oneTime));
  const m = await alice.encrypt(bob.address, encoder.encode(text));
  return { alice, bob, m };
}

/** Our initiator (primitives `p`) to a libsignal responder holding `kyber` if given. */
async function oursToLibsignal(
  p: Primitives,
  oneTime: boolean,
  text: string,
  kyber?: { publicKey: Uint8Array; secretKey: Uint8Array },
) {
  const alice = OurParty.create(p);
  const bob = new LibsignalPeerParty();
  await alice.processBundle(await bob.bundle(oneTime, kyber));
  const m = await alice.encrypt(bob.address, encoder.encode(text));
  return { decrypt: () => bob.decrypt(alice.address, m.type, m.ciphertext), bob };
}

test('libsignal KyberPreKeyRecord storage layout is {1 id, 2 0x08‖pk, 3 0x08‖sk, 4 signature, 5 timestamp}', async () => {
  const bob = new LibsignalParty();
  const published = await bob.publishBundle();
  const record = await bob.kyberPreKeys.getKyberPreKey(published.ids.kyberPreKey);
  const fields = new Map<number, Uint8Array | number>();
  for (const f of new ProtoReader(record.serialize())) {
    if (f.fieldNumber === 1) fields.set(1, f.uint32());
    else if (f.fieldNumber !== 5) fields.set(f.fieldNumber, f.bytes());
  }
  assert.equal(fields.get(1), published.ids.kyberPreKey);
  assert.deepEqual(fields.get(2), typed(KYBER_KEY_TYPE, published.raw.kyberPublicKey));
  assert.deepEqual(fields.get(3), typed(KYBER_KEY_TYPE, published.raw.kyberSecretKey));
  assert.deepEqual(fields.get(4), record.signature());
  // And a record rebuilt from raw bytes holds exactly those keys.
  const rebuilt = kyberPreKeyRecordFromRaw(
    9,
    published.raw.kyberPublicKey,
    published.raw.kyberSecretKey,
    record.signature(),
  );
  assert.ok(rebuilt instanceof KyberPreKeyRecord);
  assert.deepEqual(rebuilt.publicKey().serialize(), record.publicKey().serialize());
  assert.deepEqual(rebuilt.secretKey().serialize(), record.secretKey().serialize());
});

for (const p of backends) {
  const kem: Kem = p.kem.kyber1024;
  const name = `${p.backend}: `;

  test(`${name}libsignal key and encapsulation → our decapsulation opens the session (§3 step 5)`, async () => {
    for (const oneTime of [false, true]) {
      const text = `libsignal to us, one-time prekey: ${oneTime}`;
      const { alice, bob, m } = await libsignalToOurs(p, oneTime, text);
      assert.equal(parsePreKeySignalMessage(m.ciphertext).preKeyId !== undefined, oneTime);
      const plaintext = await bob.decrypt(alice.address, m.type, m.ciphertext);
      assert.equal(new TextDecoder().decode(plaintext), text);
    }
  });

  test(`${name}negative control: FIPS 203 ML-KEM-1024 decapsulation fails the MAC (trap 1)`, async () => {
    const mlKem = withKem(p, {
      ...kem,
      decapsulate: (ct, sk) => p.kem['ml-kem-1024'].decapsulate(ct, sk),
    });
    const { alice, bob, m } = await libsignalToOurs(mlKem, false, 'control');
    await assert.rejects(
      bob.decrypt(alice.address, m.type, m.ciphertext),
      (e: unknown) => e instanceof ProtocolError && e.code === 'DECRYPTION_FAILED',
    );
  });

  test(`${name}our key pair in libsignal's KyberPreKeyStore → libsignal and our encapsulation agree`, async () => {
    for (let i = 0; i < 3; i++) {
      const keyPair = kem.generateKeyPair();
      // libsignal ↔ libsignal over our key pair.
      const bob = new LibsignalParty();
      const published = await bob.publishBundle({ oneTimePreKey: i === 1, kyber: keyPair });
      assert.deepEqual(published.raw.kyberPublicKey, keyPair.publicKey);
      assert.deepEqual(published.raw.kyberSecretKey, keyPair.secretKey);
      const alice = new LibsignalParty();
      const plaintext = encoder.encode(`to our Kyber key #${i}`);
      const message = await alice.startSession(bob, published, plaintext);
      assert.deepEqual(await bob.decryptPreKey(alice.address, message), plaintext);
      assert.deepEqual(bob.kyberPreKeys.used, [published.ids.kyberPreKey]);
      // Our initiator, our encapsulation, to our key held by libsignal.
      const ours = await oursToLibsignal(p, i === 1, `ours both ways #${i}`, keyPair);
      assert.equal(new TextDecoder().decode(await ours.decrypt()), `ours both ways #${i}`);
    }
  });

  test(`${name}our encapsulation in our PreKeySignalMessage → libsignal decrypts (§3, §4, §6.2)`, async () => {
    for (const oneTime of [false, true]) {
      const text = `us to libsignal, one-time prekey: ${oneTime}`;
      const ours = await oursToLibsignal(p, oneTime, text);
      assert.equal(new TextDecoder().decode(await ours.decrypt()), text);
      if (oneTime) {
        assert.equal(ours.bob.party.preKeys.map.records.size, 0, 'libsignal consumed the prekey');
      }
    }
  });

  test(`${name}negative controls: libsignal rejects an ML-KEM encapsulation and a wrong secret`, async () => {
    const mlKem = withKem(
      p,
      encapsulatingAs(kem, (pk) => p.kem['ml-kem-1024'].encapsulate(pk)),
    );
    await assert.rejects((await oursToLibsignal(mlKem, false, 'x')).decrypt());
    const wrong = withKem(
      p,
      encapsulatingAs(kem, (pk) => {
        const r = kem.encapsulate(pk);
        return {
          ciphertext: r.ciphertext,
          sharedSecret: r.sharedSecret.map((b, i) => (i === 0 ? b ^ 1 : b)),
        };
      }),
    );
    await assert.rejects((await oursToLibsignal(wrong, false, 'y')).decrypt());
  });
}

test('the NIST round-3 KAT key pair and encapsulation vector are accepted by libsignal', async () => {
  const url = new URL(
    '../../../packages/primitives-noble/test/vectors/kyber1024.json',
    import.meta.url,
  );
  const vectors = JSON.parse(readFileSync(url, 'utf8')) as {
    nistRound3: { secretKey: string };
    encapsulation: { ciphertext: string; sharedSecret: string };
  };
  const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
  const secretKey = hex(vectors.nistRound3.secretKey);
  const keyPair = { publicKey: secretKey.slice(1536, 3104), secretKey };
  const [p] = backends;
  assert.ok(p);
  const kat = withKem(
    p,
    encapsulatingAs(p.kem.kyber1024, () => ({
      ciphertext: hex(vectors.encapsulation.ciphertext),
      sharedSecret: hex(vectors.encapsulation.sharedSecret),
    })),
  );
  const ours = await oursToLibsignal(kat, false, 'KAT', keyPair);
  assert.equal(new TextDecoder().decode(await ours.decrypt()), 'KAT');
});
