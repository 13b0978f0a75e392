import type { Primitives } from '../primitives.js';
import type { ConformanceCase, ConformanceOptions } from './conformance-case.js';
import { expectBytes, expectEqual, expectError, expectTrue } from './check.js';
import { RFC8032_ED25519 } from './rfc8032-vectors.js';
import { flipBit, hex } from './test-bytes.js';

/** RFC 7748 §5.2: the two single scalar multiplications. Test 2's u has bit 255 set (masked). */
const RFC7748_MULTIPLY = [
  {
    scalar: 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
    u: 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
    output: 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
  },
  {
    scalar: '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
    u: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
    output: '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
  },
] as const;

/** RFC 7748 §5.2 iterated vector: k after 1, 1,000 and 1,000,000 rounds. */
const ITERATED = [
  { rounds: 1, k: '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079' },
  { rounds: 1_000, k: '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51' },
  { rounds: 1_000_000, k: '7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424' },
] as const;
const MILLION = 1_000_000;

/** RFC 7748 §6.1 Diffie-Hellman example. */
const ALICE_PRIVATE = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const ALICE_PUBLIC = hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
const BOB_PRIVATE = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
const BOB_PUBLIC = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
const SHARED = hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');

/** libsignal `rust/core/src/curve/curve25519.rs` `test_agreement` (clamped keys, as Signal stores them). */
const LIBSIGNAL_AGREEMENT = {
  alicePrivate: hex('c806439dc9d2c476ffed8f2580c0888d58ab406bf7ae3698879021b96bb4bf59'),
  alicePublic: hex('1bb75966f2e93a3691dfff942bb2a466a1c08b8d78ca3f4d6df8b8bfa2e4ee28'),
  bobPrivate: hex('b03b34c33a1c44f225b662d2bf4859b8135411fa7b0386d45fb75dc5b91b4466'),
  bobPublic: hex('653614993d2b15ee9e5fd3d86ce719ef4ec1daae1886a87b3f5fa9565a27a22f'),
  shared: hex('325f239328941ced6e673b86ba41017448e99b649a9c3806c1dd7ca4c477e629'),
};

/** Points of small order: every X25519 output with them is zero (RFC 7748 §6.1, Wycheproof). */
const SMALL_ORDER_POINTS = [
  { name: 'u = 0', u: hex('0000000000000000000000000000000000000000000000000000000000000000') },
  { name: 'u = 1', u: hex('0100000000000000000000000000000000000000000000000000000000000000') },
  {
    name: 'a point of order 8',
    u: hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
  },
  {
    name: 'u = p (non-canonical 0)',
    u: hex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
  },
];

const SIGNATURE_LENGTH = 64;
const KEY_LENGTH = 32;

function iterate(p: Primitives, rounds: number): Uint8Array {
  let k = hex('0900000000000000000000000000000000000000000000000000000000000000');
  let u = k;
  for (let i = 0; i < rounds; i++) [k, u] = [p.x25519.sharedSecret(k, u), k];
  return k;
}

/** RFC 7748 X25519 and RFC 8032 Ed25519 known answers and the zero-output rule. */
export function curveCases(p: Primitives, options: ConformanceOptions = {}): ConformanceCase[] {
  const cases: ConformanceCase[] = RFC7748_MULTIPLY.map((v, i) => ({
    name: `RFC 7748 §5.2 X25519 test vector ${i + 1}`,
    run: () =>
      expectBytes(p.x25519.sharedSecret(hex(v.scalar), hex(v.u)), hex(v.output), 'output u'),
  }));
  for (const v of ITERATED) {
    if (v.rounds === MILLION && options.millionIterations !== true) continue;
    cases.push({
      name: `RFC 7748 §5.2 X25519 iterated, ${v.rounds.toLocaleString('en-US')} iteration${v.rounds === 1 ? '' : 's'}`,
      run: () => expectBytes(iterate(p, v.rounds), hex(v.k), 'k'),
    });
  }
  cases.push(
    {
      name: 'RFC 7748 §6.1 X25519 Diffie-Hellman (Alice and Bob)',
      run: () => {
        expectBytes(p.x25519.publicKey(ALICE_PRIVATE), ALICE_PUBLIC, "Alice's public key");
        expectBytes(p.x25519.publicKey(BOB_PRIVATE), BOB_PUBLIC, "Bob's public key");
        expectBytes(
          p.x25519.sharedSecret(ALICE_PRIVATE, BOB_PUBLIC),
          SHARED,
          "Alice's shared secret",
        );
        expectBytes(
          p.x25519.sharedSecret(BOB_PRIVATE, ALICE_PUBLIC),
          SHARED,
          "Bob's shared secret",
        );
      },
    },
    {
      name: 'libsignal curve25519.rs test_agreement (X25519 known answer)',
      run: () => {
        const v = LIBSIGNAL_AGREEMENT;
        expectBytes(p.x25519.publicKey(v.alicePrivate), v.alicePublic, "Alice's public key");
        expectBytes(p.x25519.publicKey(v.bobPrivate), v.bobPublic, "Bob's public key");
        expectBytes(
          p.x25519.sharedSecret(v.alicePrivate, v.bobPublic),
          v.shared,
          "Alice's shared secret",
        );
        expectBytes(
          p.x25519.sharedSecret(v.bobPrivate, v.alicePublic),
          v.shared,
          "Bob's shared secret",
        );
      },
    },
    {
      name: 'RFC 7748 §6.1 zero check: small-order public keys give ZERO_SHARED_SECRET',
      run: () => {
        for (const point of SMALL_ORDER_POINTS) {
          expectError(
            () => p.x25519.sharedSecret(ALICE_PRIVATE, point.u),
            'ZERO_SHARED_SECRET',
            point.name,
          );
        }
      },
    },
    {
      name: 'Primitives.x25519.generateKeyPair: clamped private key, its own public key, agreement',
      run: () => {
        const a = p.x25519.generateKeyPair();
        const b = p.x25519.generateKeyPair();
        expectEqual(a.privateKey.length, KEY_LENGTH, 'private key length');
        expectEqual((a.privateKey[0] ?? 0) & 7, 0, 'low three bits of byte 0 (clamping)');
        expectEqual((a.privateKey[31] ?? 0) & 0xc0, 0x40, 'top two bits of byte 31 (clamping)');
        expectBytes(p.x25519.publicKey(a.privateKey), a.publicKey, 'public key');
        expectBytes(
          p.x25519.sharedSecret(a.privateKey, b.publicKey),
          p.x25519.sharedSecret(b.privateKey, a.publicKey),
          'shared secret',
        );
      },
    },
  );
  for (const v of RFC8032_ED25519) {
    cases.push({
      name: `RFC 8032 §7.1 Ed25519 ${v.name}`,
      run: () => {
        const secretKey = hex(v.secretKey);
        const publicKey = hex(v.publicKey);
        const message = hex(v.message);
        const signature = hex(v.signature);
        expectBytes(p.ed25519.publicKey(secretKey), publicKey, 'public key');
        expectBytes(p.ed25519.sign(secretKey, message), signature, 'signature');
        expectTrue(
          p.ed25519.verify(publicKey, message, signature),
          'the RFC signature does not verify',
        );
        for (const bit of [0, 255, 256, 511]) {
          expectTrue(
            !p.ed25519.verify(publicKey, message, flipBit(signature, bit)),
            `signature bit ${bit} flipped verifies`,
          );
        }
        if (message.length > 0) {
          expectTrue(
            !p.ed25519.verify(publicKey, flipBit(message, 0), signature),
            'changed message verifies',
          );
        }
      },
    });
  }
  cases.push({
    name: 'Primitives.ed25519: generated keys sign and verify; verify never throws on bad lengths',
    run: () => {
      const pair = p.ed25519.generateKeyPair();
      expectBytes(p.ed25519.publicKey(pair.privateKey), pair.publicKey, 'public key');
      const message = hex('5061726c6579');
      const signature = p.ed25519.sign(pair.privateKey, message);
      expectEqual(signature.length, SIGNATURE_LENGTH, 'signature length');
      expectTrue(
        p.ed25519.verify(pair.publicKey, message, signature),
        'own signature does not verify',
      );
      expectTrue(
        !p.ed25519.verify(pair.publicKey, message, signature.subarray(1)),
        '63-byte signature verifies',
      );
      expectTrue(
        !p.ed25519.verify(pair.publicKey.subarray(1), message, signature),
        '31-byte key verifies',
      );
    },
  });
  return cases;
}
