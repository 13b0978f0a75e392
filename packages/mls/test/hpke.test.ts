// HPKE (RFC 9180) base mode, checked on Appendix A.1.1: DHKEM(X25519, HKDF-SHA256),
// HKDF-SHA256, AES-128-GCM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '@parley/bytes';
import { Hpke, MlsCrypto, MlsError, cipherSuite } from '@parley/mls';
import { createNodePrimitives } from '@parley/primitives-node';
import { createNoblePrimitives } from '@parley/primitives-noble';

const A11 = {
  info: '4f6465206f6e2061204772656369616e2055726e',
  ikmE: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
  pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
  ikmR: '6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  aad0: '436f756e742d30',
  ct0: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
  exportEmpty32: '3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee',
};

for (const p of [createNodePrimitives(), createNoblePrimitives()]) {
  const hpke = new Hpke(p, cipherSuite(1));
  const info = fromHex(A11.info);

  test(`RFC 9180 A.1.1 DeriveKeyPair (${p.backend})`, () => {
    const e = hpke.deriveKeyPair(fromHex(A11.ikmE));
    assert.equal(toHex(e.privateKey), A11.skEm);
    assert.equal(toHex(e.publicKey), A11.pkEm);
    const r = hpke.deriveKeyPair(fromHex(A11.ikmR));
    assert.equal(toHex(r.privateKey), A11.skRm);
    assert.equal(toHex(r.publicKey), A11.pkRm);
  });

  test(`RFC 9180 A.1.1 single-shot seal and open, sequence 0 (${p.backend})`, () => {
    const ephemeral = { privateKey: fromHex(A11.skEm), publicKey: fromHex(A11.pkEm) };
    const sealed = hpke.seal(
      fromHex(A11.pkRm),
      info,
      fromHex(A11.aad0),
      fromHex(A11.pt),
      ephemeral,
    );
    assert.equal(toHex(sealed.enc), A11.pkEm);
    assert.equal(toHex(sealed.ciphertext), A11.ct0);
    const opened = hpke.open(
      sealed.enc,
      fromHex(A11.skRm),
      info,
      fromHex(A11.aad0),
      sealed.ciphertext,
    );
    assert.equal(toHex(opened), A11.pt);
  });

  test(`RFC 9180 A.1.1 exporter, empty context (${p.backend})`, () => {
    const ephemeral = { privateKey: fromHex(A11.skEm), publicKey: fromHex(A11.pkEm) };
    const sent = hpke.sendExport(fromHex(A11.pkRm), info, new Uint8Array(0), 32, ephemeral);
    assert.equal(toHex(sent.secret), A11.exportEmpty32);
    const received = hpke.receiveExport(sent.enc, fromHex(A11.skRm), info, new Uint8Array(0), 32);
    assert.equal(toHex(received), A11.exportEmpty32);
  });

  test(`HPKE open fails closed on a changed ciphertext, aad or info (${p.backend})`, () => {
    const sealed = hpke.seal(fromHex(A11.pkRm), info, fromHex(A11.aad0), fromHex(A11.pt));
    const sk = fromHex(A11.skRm);
    const flipped = sealed.ciphertext.slice();
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    const isDecryptFailed = (e: unknown): boolean =>
      e instanceof MlsError && e.code === 'DECRYPT_FAILED';
    assert.throws(
      () => hpke.open(sealed.enc, sk, info, fromHex(A11.aad0), flipped),
      isDecryptFailed,
    );
    assert.throws(
      () => hpke.open(sealed.enc, sk, info, new Uint8Array(0), sealed.ciphertext),
      isDecryptFailed,
    );
    assert.throws(
      () => hpke.open(sealed.enc, sk, new Uint8Array(1), fromHex(A11.aad0), sealed.ciphertext),
      isDecryptFailed,
    );
    assert.equal(
      toHex(hpke.open(sealed.enc, sk, info, fromHex(A11.aad0), sealed.ciphertext)),
      A11.pt,
    );
  });

  test(`RFC 9180 A.1.1 with the info prepared once gives the same ciphertext (${p.backend})`, () => {
    const ephemeral = { privateKey: fromHex(A11.skEm), publicKey: fromHex(A11.pkEm) };
    const prepared = hpke.prepareInfo(info);
    const sealed = hpke.seal(
      fromHex(A11.pkRm),
      prepared,
      fromHex(A11.aad0),
      fromHex(A11.pt),
      ephemeral,
    );
    assert.equal(toHex(sealed.ciphertext), A11.ct0);
    const opened = hpke.open(
      sealed.enc,
      fromHex(A11.skRm),
      prepared,
      fromHex(A11.aad0),
      sealed.ciphertext,
    );
    assert.equal(toHex(opened), A11.pt);
  });

  test(`EncryptWithLabel for many recipients: each opens with DecryptWithLabel (${p.backend})`, () => {
    const crypto = new MlsCrypto(p, 1);
    const context = new Uint8Array(300).fill(7);
    const recipients = Array.from({ length: 3 }, () => p.x25519.generateKeyPair());
    // Fewer recipients announced than served: the encryptor draws more randomness when it runs out.
    const encrypt = crypto.encryptorWithLabel('Welcome', context, 2);
    const sealed = recipients.map((r, i) => encrypt(r.publicKey, Uint8Array.of(i)));
    assert.equal(new Set(sealed.map((s) => toHex(s.kemOutput))).size, 3, 'fresh ephemeral keys');
    sealed.forEach((s, i) => {
      const r = recipients[i];
      assert.ok(r !== undefined);
      const opened = crypto.decryptWithLabel(r.privateKey, 'Welcome', context, s);
      assert.deepEqual([...opened], [i]);
    });
  });
}
