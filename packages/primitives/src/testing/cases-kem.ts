import type { KemAlgorithm, Primitives } from '../primitives.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBytes, expectDifferent, expectEqual, expectError } from './check.js';
import { counting, flipBit } from './test-bytes.js';

/** Sizes in bytes: FIPS 203 Table 3 for ML-KEM; Kyber round 3 (libsignal KEM type 0x08) for kyber1024. */
const KEM_SIZES: Readonly<
  Record<
    KemAlgorithm,
    { publicKey: number; secretKey: number; ciphertext: number; sharedSecret: number }
  >
> = {
  kyber1024: { publicKey: 1568, secretKey: 3168, ciphertext: 1568, sharedSecret: 32 },
  'ml-kem-768': { publicKey: 1184, secretKey: 2400, ciphertext: 1088, sharedSecret: 32 },
  'ml-kem-1024': { publicKey: 1568, secretKey: 3168, ciphertext: 1568, sharedSecret: 32 },
};

const KEMS: readonly KemAlgorithm[] = ['kyber1024', 'ml-kem-768', 'ml-kem-1024'];
const ML_KEMS: readonly KemAlgorithm[] = ['ml-kem-768', 'ml-kem-1024'];
/** FIPS 203: d ‖ z for key generation, m for encapsulation. */
const ML_KEM_KEYGEN_SEED_LENGTH = 64;
const ML_KEM_MESSAGE_LENGTH = 32;

function label(algorithm: KemAlgorithm): string {
  return algorithm === 'kyber1024' ? 'Kyber1024 (round 3)' : `FIPS 203 ${algorithm.toUpperCase()}`;
}

/** KEM sizes, round trips, implicit rejection, deterministic derivation and input checks. */
export function kemCases(p: Primitives): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const algorithm of KEMS) {
    const kem = p.kem[algorithm];
    const sizes = KEM_SIZES[algorithm];
    cases.push({
      name: `${label(algorithm)}: sizes ${sizes.publicKey}/${sizes.secretKey}/${sizes.ciphertext}/${sizes.sharedSecret} and round trip`,
      run: () => {
        expectEqual(kem.publicKeyLength, sizes.publicKey, 'publicKeyLength');
        expectEqual(kem.secretKeyLength, sizes.secretKey, 'secretKeyLength');
        expectEqual(kem.ciphertextLength, sizes.ciphertext, 'ciphertextLength');
        expectEqual(kem.sharedSecretLength, sizes.sharedSecret, 'sharedSecretLength');
        const pair = kem.generateKeyPair();
        expectEqual(pair.publicKey.length, sizes.publicKey, 'public key length');
        expectEqual(pair.secretKey.length, sizes.secretKey, 'secret key length');
        const { ciphertext, sharedSecret } = kem.encapsulate(pair.publicKey);
        expectEqual(ciphertext.length, sizes.ciphertext, 'ciphertext length');
        expectEqual(sharedSecret.length, sizes.sharedSecret, 'shared secret length');
        expectBytes(
          kem.decapsulate(ciphertext, pair.secretKey),
          sharedSecret,
          'decapsulated secret',
        );
        const second = kem.encapsulate(pair.publicKey);
        expectDifferent(second.ciphertext, ciphertext, 'two random encapsulations');
      },
    });
    cases.push({
      name: `${label(algorithm)}: implicit rejection of a modified ciphertext`,
      run: () => {
        const pair = kem.generateKeyPair();
        const { ciphertext, sharedSecret } = kem.encapsulate(pair.publicKey);
        const modified = flipBit(ciphertext, 100);
        const rejected = kem.decapsulate(modified, pair.secretKey);
        expectEqual(rejected.length, sizes.sharedSecret, 'rejection secret length');
        expectDifferent(rejected, sharedSecret, 'rejection secret vs real secret');
        expectBytes(
          kem.decapsulate(modified, pair.secretKey),
          rejected,
          'rejection is deterministic',
        );
      },
    });
    cases.push({
      name: `${label(algorithm)}: key generation and encapsulation are deterministic in their seeds`,
      run: () => {
        const seed = counting(0x33, kem.keyGenSeedLength);
        const a = kem.generateKeyPair(seed);
        const b = kem.generateKeyPair(Uint8Array.from(seed));
        expectBytes(b.publicKey, a.publicKey, 'public key from the same seed');
        expectBytes(b.secretKey, a.secretKey, 'secret key from the same seed');
        expectDifferent(
          kem.generateKeyPair(flipBit(seed, 0)).publicKey,
          a.publicKey,
          'key from another seed',
        );
        const m = counting(0x77, kem.encapsulationSeedLength);
        const first = kem.encapsulate(a.publicKey, m);
        const again = kem.encapsulate(a.publicKey, Uint8Array.from(m));
        expectBytes(again.ciphertext, first.ciphertext, 'ciphertext from the same message');
        expectBytes(again.sharedSecret, first.sharedSecret, 'secret from the same message');
        expectBytes(
          kem.decapsulate(first.ciphertext, a.secretKey),
          first.sharedSecret,
          'decapsulated',
        );
      },
    });
    cases.push({
      name: `${label(algorithm)}: wrong-length inputs give INVALID_KEY (keys) and INVALID_LENGTH (seeds, ciphertexts)`,
      run: () => {
        const pair = kem.generateKeyPair();
        const { ciphertext } = kem.encapsulate(pair.publicKey);
        const short = (b: Uint8Array): Uint8Array => b.subarray(0, b.length - 1);
        expectError(
          () => kem.encapsulate(short(pair.publicKey)),
          'INVALID_KEY',
          'encapsulate: short public key',
        );
        expectError(
          () => kem.decapsulate(ciphertext, short(pair.secretKey)),
          'INVALID_KEY',
          'decapsulate: short secret key',
        );
        expectError(
          () => kem.decapsulate(short(ciphertext), pair.secretKey),
          'INVALID_LENGTH',
          'decapsulate: short ciphertext',
        );
        expectError(
          () => kem.generateKeyPair(new Uint8Array(kem.keyGenSeedLength + 1)),
          'INVALID_LENGTH',
          'generateKeyPair: long seed',
        );
        expectError(
          () => kem.encapsulate(pair.publicKey, new Uint8Array(kem.encapsulationSeedLength - 1)),
          'INVALID_LENGTH',
          'encapsulate: short message',
        );
      },
    });
  }
  for (const algorithm of ML_KEMS) {
    const kem = p.kem[algorithm];
    cases.push({
      name: `${label(algorithm)} §7.2: seed lengths 64/32; a public key failing the modulus check gives INVALID_KEY`,
      run: () => {
        expectEqual(kem.keyGenSeedLength, ML_KEM_KEYGEN_SEED_LENGTH, 'keyGenSeedLength');
        expectEqual(kem.encapsulationSeedLength, ML_KEM_MESSAGE_LENGTH, 'encapsulationSeedLength');
        const { publicKey } = kem.generateKeyPair();
        // The first coefficient is the low 12 bits of bytes 0–1; 4095 is not below q = 3329.
        const bad = Uint8Array.from(publicKey);
        bad[0] = 0xff;
        bad[1] = (bad[1] ?? 0) | 0x0f;
        expectError(
          () => kem.encapsulate(bad),
          'INVALID_KEY',
          'encapsulate: unreduced coefficient',
        );
      },
    });
  }
  return cases;
}
