export type {
  Aead,
  AeadAlgorithm,
  DhGroup,
  DiffieHellman,
  ExtraSignatureAlgorithm,
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
  MlsCurves,
  Primitives,
  SignatureScheme,
  StreamCipher,
  X25519,
} from './primitives.js';
export { HASH_LENGTH } from './primitives.js';
export { PrimitivesError, type PrimitivesErrorCode } from './errors.js';
