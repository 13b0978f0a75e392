export type {
  Aead,
  AeadAlgorithm,
  HashAlgorithm,
  IncrementalEncapsulation,
  IncrementalKem,
  IncrementalKemKeyPair,
  IncrementalMac,
  Kem,
  KemAlgorithm,
  KemKeyPair,
  KeyLifetime,
  KeyPair,
  Primitives,
  SignatureScheme,
  StreamCipher,
  X25519,
} from './primitives.js';
export { HASH_LENGTH } from './primitives.js';
export { PrimitivesError, type PrimitivesErrorCode } from './errors.js';
