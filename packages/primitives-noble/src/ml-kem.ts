import { ml_kem1024, ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { Kem } from '@parley/primitives';
import { PrimitivesError } from '@parley/primitives';

type NobleMlKem = typeof ml_kem768;

const SEED_LENGTH = 64;
const MESSAGE_LENGTH = 32;

function requireLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length)
    throw new PrimitivesError(
      what.endsWith('key') ? 'INVALID_KEY' : 'INVALID_LENGTH',
      `${what} must be ${length} bytes`,
    );
}

/** FIPS 203 ML-KEM over @noble/post-quantum, which performs the FIPS 203 §7 input checks. */
function wrap(kem: NobleMlKem, randomBytes: (length: number) => Uint8Array): Kem {
  const {
    publicKey: publicKeyLength,
    secretKey: secretKeyLength,
    cipherText: ciphertextLength,
  } = kem.lengths;
  if (
    publicKeyLength === undefined ||
    secretKeyLength === undefined ||
    ciphertextLength === undefined
  ) {
    throw new PrimitivesError('UNSUPPORTED', 'ML-KEM lengths unavailable');
  }
  return {
    publicKeyLength,
    secretKeyLength,
    ciphertextLength,
    sharedSecretLength: 32,
    keyGenSeedLength: SEED_LENGTH,
    encapsulationSeedLength: MESSAGE_LENGTH,
    generateKeyPair(seed = randomBytes(SEED_LENGTH)) {
      requireLength(seed, SEED_LENGTH, 'ML-KEM key generation seed');
      return kem.keygen(seed);
    },
    encapsulate(publicKey, seed = randomBytes(MESSAGE_LENGTH)) {
      requireLength(publicKey, publicKeyLength, 'ML-KEM public key');
      requireLength(seed, MESSAGE_LENGTH, 'ML-KEM encapsulation message');
      let result: { cipherText: Uint8Array; sharedSecret: Uint8Array };
      try {
        result = kem.encapsulate(publicKey, seed);
      } catch {
        throw new PrimitivesError('INVALID_KEY', 'ML-KEM public key failed the modulus check');
      }
      return { ciphertext: result.cipherText, sharedSecret: result.sharedSecret };
    },
    decapsulate(ciphertext, secretKey) {
      requireLength(ciphertext, ciphertextLength, 'ML-KEM ciphertext');
      requireLength(secretKey, secretKeyLength, 'ML-KEM secret key');
      try {
        return kem.decapsulate(ciphertext, secretKey);
      } catch {
        throw new PrimitivesError('INVALID_KEY', 'ML-KEM secret key failed the hash check');
      }
    },
  };
}

export function createMlKem768(randomBytes: (length: number) => Uint8Array): Kem {
  return wrap(ml_kem768, randomBytes);
}

export function createMlKem1024(randomBytes: (length: number) => Uint8Array): Kem {
  return wrap(ml_kem1024, randomBytes);
}
