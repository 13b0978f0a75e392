export { createNoblePrimitives, type PrimitivesOptions } from './noble-primitives.js';
export { createXeddsa, xeddsaAsEd25519, xeddsaSign, XEDDSA_RANDOM_LENGTH } from './xeddsa.js';
export { checkAeadInputs, nobleAeads, MAX_GCM_NONCE_LENGTH, MIN_GCM_NONCE_LENGTH } from './aead.js';
export { requireAesInputs, requireHkdfLength, requireLength } from './noble-primitives.js';
export {
  createKyber1024,
  nobleKyberHashes,
  type Kyber1024Hashes,
  type NativeMlKem1024,
} from './kyber1024.js';
export { createIncrementalMlKem768 } from './ml-kem-incremental.js';
