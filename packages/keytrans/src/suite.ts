import { concatBytes } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import {
  vrfProofToHash,
  vrfProve,
  vrfHash,
  vrfProveWithHash,
  vrfPublicKey,
  vrfVerify,
  VRF_PROOF_LENGTH,
} from './ecvrf.js';
import { KeyTransError } from './errors.js';

/** KT_128_SHA256_Ed25519 (-05 §"KT Cipher Suites"), the one suite Parley implements. */
export const KT_128_SHA256_ED25519 = 0x0002;

/** Hash.Nh: SHA-256 output length. */
export const HASH_LENGTH = 32;
/** VRF.Nh: the ECVRF output truncated to 32 bytes. */
export const VRF_OUTPUT_LENGTH = 32;
/** VRF.Np: an ECVRF-EDWARDS25519-SHA512-TAI proof. */
export const VRF_PROOF_BYTES = VRF_PROOF_LENGTH;
/** Nc: commitment opening length. */
export const OPENING_LENGTH = 16;
/** Kc: the fixed HMAC key of commitments, hex d821f8790d97709796b4d7903357c3f5. */
export const COMMITMENT_KEY = Uint8Array.of(
  0xd8,
  0x21,
  0xf8,
  0x79,
  0x0d,
  0x97,
  0x70,
  0x97,
  0x96,
  0xb4,
  0xd7,
  0x90,
  0x33,
  0x57,
  0xc3,
  0xf5,
);

/**
 * The cipher suite's operations over the caller's primitives: hashing, commitments, signatures
 * and the VRF. Everything in this package that hashes or signs goes through one of these.
 */
export interface Suite {
  readonly primitives: Primitives;
  hash(data: Uint8Array): Uint8Array;
  hashParts(...parts: Uint8Array[]): Uint8Array;
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  vrfPublicKey(secretKey: Uint8Array): Uint8Array;
  /** The 80-byte proof for `input` (an encoded VrfInput). */
  vrfProve(secretKey: Uint8Array, input: Uint8Array): Uint8Array;
  /** The proof and its 32-byte output, in one pass (the log, for each new label-version). */
  vrfProveWithOutput(
    secretKey: Uint8Array,
    input: Uint8Array,
  ): { proof: Uint8Array; output: Uint8Array };
  /** The 32-byte output for `input` without making a proof (the log, at insertion). */
  vrfEvaluate(secretKey: Uint8Array, input: Uint8Array): Uint8Array;
  /** The 32-byte output of a proof, without checking it (for the log, which made it). */
  vrfOutput(proof: Uint8Array): Uint8Array;
  /** The 32-byte output if `proof` verifies for `input`; throws `VRF_INVALID` otherwise. */
  vrfVerify(publicKey: Uint8Array, input: Uint8Array, proof: Uint8Array): Uint8Array;
}

/** Builds suite 0x0002 over `primitives`. */
export function createSuite(primitives: Primitives): Suite {
  const sha512 = (data: Uint8Array): Uint8Array => primitives.hash('sha512', data);
  const x25519 = (k: Uint8Array, u: Uint8Array): Uint8Array => primitives.x25519.sharedSecret(k, u);
  const hash = (data: Uint8Array): Uint8Array => primitives.hash('sha256', data);
  return {
    primitives,
    hash,
    hashParts: (...parts) => hash(concatBytes(...parts)),
    hmac: (key, data) => primitives.hmac('sha256', key, data),
    sign: (privateKey, message) => primitives.ed25519.sign(privateKey, message),
    verify: (publicKey, message, signature) =>
      primitives.ed25519.verify(publicKey, message, signature),
    vrfPublicKey: (secretKey) => vrfPublicKey(sha512, secretKey),
    vrfProve: (secretKey, input) => vrfProve(sha512, secretKey, input),
    vrfProveWithOutput(secretKey, input) {
      const { proof, beta } = vrfProveWithHash(sha512, secretKey, input);
      return { proof, output: beta.slice(0, VRF_OUTPUT_LENGTH) };
    },
    vrfEvaluate: (secretKey, input) =>
      vrfHash(sha512, secretKey, input, x25519).slice(0, VRF_OUTPUT_LENGTH),
    vrfOutput: (proof) => vrfProofToHash(sha512, proof).slice(0, VRF_OUTPUT_LENGTH),
    vrfVerify(publicKey, input, proof) {
      const beta = vrfVerify(sha512, publicKey, input, proof);
      if (beta === undefined) throw new KeyTransError('VRF_INVALID', 'VRF proof does not verify');
      return beta.slice(0, VRF_OUTPUT_LENGTH);
    },
  };
}
