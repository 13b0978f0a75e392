/**
 * Round-3 Kyber1024 against libsignal 0.103.0, proven through the protocol (spec §3, §4, §6.2):
 * libsignal's Node API does not expose KEM encapsulation, so a shared secret is right exactly
 * when the first message's MAC verifies under keys derived from it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { KyberPreKeyRecord } from '@signalapp/libsignal-client';
import type { Kem, Primitives } from '@parley/primitives';
import { backends } from './backends.js';
import {
  LibsignalParty,
  newAddress,
  kyberPreKeyRecordFromRaw,
  type PublishedBundle,
} from './libsignal-parties.js';
import {
  KYBER_KEY_TYPE,
  buildFirstMessage,
  decodeProto,
  openFirstMessage,
  parsePreKeyMessage,
  typed,
  type RecipientBundle,
} from './pqxdh-oracle.js';

const encoder = new TextEncoder();

function responderKeys(published: PublishedBundle) {
  const { identityPrivate, signedPreKeyPrivate, oneTimePreKeyPrivate } = published.raw;
  return {
    identityPrivate,
    signedPreKeyPrivate,
    ...(oneTimePreKeyPrivate && { oneTimePreKeyPrivate }),
  };
}

function recipientBundle(bob: LibsignalParty, published: PublishedBundle): RecipientBundle {
  const { ids, raw } = published;
  return {
    registrationId: bob.registrationId,
    identityKey: raw.identityPublic,
    signedPreKeyId: ids.signedPreKey,
    signedPreKey: raw.signedPreKeyPublic,
    kyberPreKeyId: ids.kyberPreKey,
    ...(ids.oneTimePreKey !== undefined &&
      raw.oneTimePreKeyPublic && {
        oneTimePreKey: { id: ids.oneTimePreKey, publicKey: raw.oneTimePreKeyPublic },
      }),
  };
}

/** libsignal Alice → libsignal Bob's bundle; returns the PreKeySignalMessage bytes. */
async function libsignalFirstMessage(
  oneTimePreKey: boolean,
  plaintext: Uint8Array,
  kyber?: { publicKey: Uint8Array; secretKey: Uint8Array },
) {
  const alice = new LibsignalParty();
  const bob = new LibsignalParty();
  const published = await bob.publishBundle({ oneTimePreKey, ...(kyber && { kyber }) });
  const message = await alice.startSession(bob, published, plaintext);
  return { alice, bob, published, message };
}

/** Our side builds Alice's first message with `encapsulation`; libsignal Bob decrypts it. */
async function oracleToLibsignal(
  p: Primitives,
  bob: LibsignalParty,
  published: PublishedBundle,
  encapsulation: { ciphertext: Uint8Array; sharedSecret: Uint8Array },
  plaintext: Uint8Array,
) {
  const aliceIdentity = p.x25519.generateKeyPair();
  const message = buildFirstMessage(p, {
    registrationId: 4242,
    identityPrivate: aliceIdentity.privateKey,
    bundle: recipientBundle(bob, published),
    encapsulation,
    plaintext,
  });
  return bob.decryptPreKey(newAddress(), message);
}

test('libsignal KyberPreKeyRecord storage layout is {1 id, 2 0x08‖pk, 3 0x08‖sk, 4 signature, 5 timestamp}', async () => {
  const bob = new LibsignalParty();
  const published = await bob.publishBundle();
  const record = await bob.kyberPreKeys.getKyberPreKey(published.ids.kyberPreKey);
  const fields = decodeProto(record.serialize());
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

  test(`${name}libsignal key and encapsulation → our decapsulation verifies the MAC (§3 step 5)`, async () => {
    for (const oneTimePreKey of [false, true]) {
      const plaintext = encoder.encode(`libsignal to us, one-time prekey: ${oneTimePreKey}`);
      const { alice, bob, published, message } = await libsignalFirstMessage(
        oneTimePreKey,
        plaintext,
      );
      assert.equal(parsePreKeyMessage(message).preKeyId !== undefined, oneTimePreKey);
      const opened = openFirstMessage(p, responderKeys(published), message, (ct) =>
        kem.decapsulate(ct, published.raw.kyberSecretKey),
      );
      assert.ok(opened.macValid, 'MAC under our Kyber secret');
      assert.deepEqual(opened.plaintext, plaintext);
      // Ground truth: libsignal Bob decrypts the same message.
      assert.deepEqual(await bob.decryptPreKey(alice.address, message), plaintext);
    }
  });

  test(`${name}negative control: FIPS 203 ML-KEM-1024 decapsulation fails the MAC (trap 1)`, async () => {
    const { published, message } = await libsignalFirstMessage(false, encoder.encode('control'));
    const opened = openFirstMessage(p, responderKeys(published), message, (ct) =>
      p.kem['ml-kem-1024'].decapsulate(ct, published.raw.kyberSecretKey),
    );
    assert.equal(opened.macValid, false);
    assert.equal(opened.plaintext, undefined);
  });

  test(`${name}our key pair in libsignal's KyberPreKeyStore → libsignal decrypts, our decapsulation agrees`, async () => {
    for (let i = 0; i < 3; i++) {
      const keyPair = kem.generateKeyPair();
      const plaintext = encoder.encode(`to our Kyber key #${i}`);
      const { alice, bob, published, message } = await libsignalFirstMessage(
        i === 1,
        plaintext,
        keyPair,
      );
      assert.deepEqual(published.raw.kyberPublicKey, keyPair.publicKey);
      assert.deepEqual(published.raw.kyberSecretKey, keyPair.secretKey);
      assert.deepEqual(await bob.decryptPreKey(alice.address, message), plaintext);
      assert.deepEqual(bob.kyberPreKeys.used, [published.ids.kyberPreKey]);
      const opened = openFirstMessage(p, responderKeys(published), message, (ct) =>
        kem.decapsulate(ct, keyPair.secretKey),
      );
      assert.ok(opened.macValid);
      assert.deepEqual(opened.plaintext, plaintext);
    }
  });

  test(`${name}our encapsulation in our PreKeySignalMessage → libsignal decrypts (§3, §4, §6.2)`, async () => {
    for (const oneTimePreKey of [false, true]) {
      const bob = new LibsignalParty();
      const published = await bob.publishBundle({ oneTimePreKey });
      const plaintext = encoder.encode(`us to libsignal, one-time prekey: ${oneTimePreKey}`);
      const encapsulation = kem.encapsulate(published.raw.kyberPublicKey);
      assert.deepEqual(
        await oracleToLibsignal(p, bob, published, encapsulation, plaintext),
        plaintext,
      );
      if (oneTimePreKey)
        assert.equal(bob.preKeys.map.records.size, 0, 'libsignal consumed the one-time prekey');
    }
  });

  test(`${name}negative controls: libsignal rejects an ML-KEM encapsulation and a wrong secret`, async () => {
    const bob = new LibsignalParty();
    const published = await bob.publishBundle();
    const mlKem = p.kem['ml-kem-1024'].encapsulate(published.raw.kyberPublicKey);
    await assert.rejects(oracleToLibsignal(p, bob, published, mlKem, encoder.encode('x')));
    const ours = kem.encapsulate(published.raw.kyberPublicKey);
    const wrong = {
      ciphertext: ours.ciphertext,
      sharedSecret: ours.sharedSecret.map((b, i) => (i === 0 ? b ^ 1 : b)),
    };
    await assert.rejects(oracleToLibsignal(p, bob, published, wrong, encoder.encode('y')));
  });

  test(`${name}our key pair end to end: our encapsulation to our key held by libsignal`, async () => {
    const bob = new LibsignalParty();
    const keyPair = kem.generateKeyPair();
    const published = await bob.publishBundle({ kyber: keyPair });
    const plaintext = encoder.encode('ours both ways');
    const encapsulation = kem.encapsulate(keyPair.publicKey);
    assert.deepEqual(
      await oracleToLibsignal(p, bob, published, encapsulation, plaintext),
      plaintext,
    );
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
  const bob = new LibsignalParty();
  const published = await bob.publishBundle({
    kyber: { publicKey: secretKey.slice(1536, 3104), secretKey },
  });
  const encapsulation = {
    ciphertext: hex(vectors.encapsulation.ciphertext),
    sharedSecret: hex(vectors.encapsulation.sharedSecret),
  };
  const plaintext = encoder.encode('KAT');
  const [p] = backends;
  assert.ok(p);
  assert.deepEqual(await oracleToLibsignal(p, bob, published, encapsulation, plaintext), plaintext);
});
