// The seven RFC 9420 §17.1 cipher suites: the built-in ones (1, 3) and those of the curve-suites
// entry point (2, 4–7), which need `Primitives.mlsCurves` (refused with UNSUPPORTED_CIPHER_SUITE
// without them), the DHKEM group orders against both backends, HPKE and signatures across the two backends, and a group
// of three run in every suite.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { utf8Encode } from '@parley/bytes';
import {
  CredentialType,
  MlsCrypto,
  MlsError,
  SUPPORTED_CIPHER_SUITES,
  cipherSuite,
  createCommit,
  createGroup,
  createKeyPackage,
  decryptApplicationMessage,
  encryptApplicationMessage,
  groupStateFromJoin,
  joinFromWelcome,
  ProposalType,
  type ValidationPolicy,
} from '@parley/mls';
import { ALL_CIPHER_SUITES, anyCipherSuite, isKnownCipherSuite } from '@parley/mls/curve-suites';
import { PrimitivesError, type DiffieHellman } from '@parley/primitives';
import { createNodePrimitives } from '@parley/primitives-node';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { withNobleMlsCurves } from '@parley/primitives-noble/mls-curves';

const node = createNodePrimitives();
const noble = withNobleMlsCurves(createNoblePrimitives());
const CURVE_SUITES = [2, 4, 5, 6, 7];
const lifetime = { notBefore: 0n, notAfter: 1n << 40n };
const policy: ValidationPolicy = { authenticate: (c) => c.credentialType === CredentialType.basic };

test('suites 1 and 3 are built in; the curve-suites entry point has all seven', () => {
  assert.deepEqual(SUPPORTED_CIPHER_SUITES, [1, 3]);
  assert.deepEqual(ALL_CIPHER_SUITES, [1, 2, 3, 4, 5, 6, 7]);
  for (const id of ALL_CIPHER_SUITES) {
    assert.equal(anyCipherSuite(id).id, id);
    assert.equal(isKnownCipherSuite(id), true);
  }
  for (const id of CURVE_SUITES) {
    assert.throws(
      () => cipherSuite(id),
      (e: unknown) => e instanceof MlsError && e.code === 'UNSUPPORTED_CIPHER_SUITE',
    );
    assert.throws(
      () => new MlsCrypto(node, id),
      (e: unknown) => e instanceof MlsError && e.code === 'UNSUPPORTED_CIPHER_SUITE',
    );
  }
  for (const id of [0, 8, 0xffff]) {
    assert.equal(isKnownCipherSuite(id), false);
    assert.throws(
      () => anyCipherSuite(id),
      (e: unknown) => e instanceof MlsError && e.code === 'UNSUPPORTED_CIPHER_SUITE',
    );
  }
});

test('a backend without mlsCurves runs suites 1 and 3 and refuses the others with UNSUPPORTED_CIPHER_SUITE', () => {
  const plain = createNoblePrimitives();
  for (const id of [1, 3]) assert.equal(new MlsCrypto(plain, id).suite.id, id);
  for (const id of CURVE_SUITES) {
    assert.throws(
      () => new MlsCrypto(plain, anyCipherSuite(id)),
      (e: unknown) => e instanceof MlsError && e.code === 'UNSUPPORTED_CIPHER_SUITE',
      `suite ${id}`,
    );
  }
});

function scalarBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

test("the DHKEM group orders are the curves' (n − 1 is a private key on both backends, n is not)", () => {
  for (const id of ALL_CIPHER_SUITES) {
    const { kem } = anyCipherSuite(id);
    if (kem.group === 'x25519' || kem.group === 'x448') {
      assert.equal(kem.order, undefined);
      continue;
    }
    const order = kem.order ?? assert.fail(`suite ${id} has no order`);
    for (const p of [node, noble]) {
      const dh: DiffieHellman = p.mlsCurves?.dh[kem.group] ?? assert.fail('no curves');
      assert.equal(dh.privateKeyLength, kem.privateKeyLength);
      assert.equal(dh.publicKeyLength, kem.publicKeyLength);
      const last = dh.publicKey(scalarBytes(order - 1n, kem.privateKeyLength));
      assert.equal(last.length, kem.publicKeyLength);
      assert.throws(
        () => dh.publicKey(scalarBytes(order, kem.privateKeyLength)),
        (e: unknown) => e instanceof PrimitivesError && e.code === 'INVALID_KEY',
        `suite ${id} on ${p.backend}`,
      );
    }
  }
});

for (const id of ALL_CIPHER_SUITES) {
  const suite = anyCipherSuite(id);
  test(`suite ${id}: node and noble open each other's EncryptWithLabel and verify each other's SignWithLabel`, () => {
    const pairs = [
      [new MlsCrypto(node, suite), new MlsCrypto(noble, suite)],
      [new MlsCrypto(noble, suite), new MlsCrypto(node, suite)],
    ] as const;
    for (const [from, to] of pairs) {
      const recipient = to.generateKemKeyPair();
      assert.deepEqual(from.kemPublicKey(recipient.privateKey), recipient.publicKey);
      const plaintext = utf8Encode(`to ${to.primitives.backend}`);
      const sealed = from.encryptWithLabel(recipient.publicKey, 'L', Uint8Array.of(1), plaintext);
      assert.deepEqual(
        to.decryptWithLabel(recipient.privateKey, 'L', Uint8Array.of(1), sealed),
        plaintext,
      );
      assert.throws(
        () => to.decryptWithLabel(recipient.privateKey, 'L', Uint8Array.of(2), sealed),
        (e: unknown) => e instanceof MlsError && e.code === 'DECRYPT_FAILED',
      );
      const many = from.encryptorWithLabel('M', Uint8Array.of(3), 2);
      for (let i = 0; i < 2; i++) {
        const ct = many(recipient.publicKey, plaintext);
        assert.deepEqual(
          to.decryptWithLabel(recipient.privateKey, 'M', Uint8Array.of(3), ct),
          plaintext,
        );
      }
      const signer = from.primitives.mlsCurves;
      const key =
        from.suite.signature === 'ed25519'
          ? from.primitives.ed25519.generateKeyPair()
          : (signer?.signature[from.suite.signature].generateKeyPair() ?? assert.fail());
      const signature = from.signWithLabel(key.privateKey, 'S', plaintext);
      assert.equal(to.verifyWithLabel(key.publicKey, 'S', plaintext, signature), true);
      assert.equal(to.verifyWithLabel(key.publicKey, 'T', plaintext, signature), false);
    }
  });

  test(`suite ${id}: an HPKE public key off the curve or of the wrong length is refused, not thrown raw`, () => {
    const c = new MlsCrypto(node, suite);
    const good = c.generateKemKeyPair();
    const short = good.publicKey.subarray(1);
    assert.throws(
      () => c.encryptWithLabel(short, 'L', Uint8Array.of(), Uint8Array.of()),
      (e: unknown) => e instanceof MlsError && e.code === 'INVALID_ENCODING',
    );
    const bad = { kemOutput: good.publicKey.map((b) => b ^ 0x55), ciphertext: new Uint8Array(20) };
    assert.throws(
      () => c.decryptWithLabel(good.privateKey, 'L', Uint8Array.of(), bad),
      (e: unknown) => e instanceof MlsError && e.code === 'DECRYPT_FAILED',
    );
  });

  test(`suite ${id}: a group of three: create, add two, join from the Welcome, exchange a message`, () => {
    const c = new MlsCrypto(id % 2 === 0 ? node : noble, suite);
    const signing = (): Uint8Array =>
      c.suite.signature === 'ed25519'
        ? c.primitives.ed25519.generateKeyPair().privateKey
        : (c.primitives.mlsCurves?.signature[c.suite.signature].generateKeyPair().privateKey ??
          assert.fail());
    const credential = (name: string) =>
      ({ credentialType: CredentialType.basic, identity: utf8Encode(name) }) as const;
    const aliceKey = signing();
    const alice = createGroup(c, {
      groupId: utf8Encode(`suite-${id}`),
      credential: credential('alice'),
      signaturePrivateKey: aliceKey,
      lifetime,
    });
    const bobKey = signing();
    const bob = createKeyPackage(c, {
      credential: credential('bob'),
      signaturePrivateKey: bobKey,
      lifetime,
    });
    const carol = createKeyPackage(c, {
      credential: credential('carol'),
      signaturePrivateKey: signing(),
      lifetime,
    });
    const committed = createCommit(c, alice, {
      signaturePrivateKey: aliceKey,
      proposals: [bob, carol].map((k) => ({
        proposalType: ProposalType.add,
        keyPackage: k.keyPackage,
      })),
      psks: () => undefined,
      policy,
    });
    assert.ok(committed.welcome);
    const joined = joinFromWelcome(c, {
      welcome: committed.welcome,
      keyPackage: bob.keyPackage,
      initPrivateKey: bob.initPrivateKey,
      encryptionPrivateKey: bob.encryptionPrivateKey,
      psks: () => undefined,
      policy,
    });
    const bobState = groupStateFromJoin(c, joined);
    assert.equal(bobState.ownLeaf, 1);
    const sent = encryptApplicationMessage(c, committed.state, utf8Encode('hello'), aliceKey);
    const got = decryptApplicationMessage(c, bobState, sent.message);
    assert.deepEqual(got.data, utf8Encode('hello'));
  });
}
