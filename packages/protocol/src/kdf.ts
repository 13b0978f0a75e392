import type { Primitives } from '@parley/primitives';
import { INFO_MESSAGE_KEYS, INFO_PQXDH, INFO_RATCHET } from './constants.js';

const NO_SALT = new Uint8Array(0);
const MESSAGE_KEY_SEED = Uint8Array.of(0x01);
const CHAIN_KEY_NEXT = Uint8Array.of(0x02);

export interface RootAndChain {
  readonly rootKey: Uint8Array;
  readonly chainKey: Uint8Array;
}

/** PQXDH's HKDF (spec §3 step 3): root key ‖ chain key ‖ SPQR authentication key. */
export function pqxdhSecrets(
  p: Primitives,
  ikm: Uint8Array,
): RootAndChain & { readonly pqrKey: Uint8Array } {
  const okm = p.hkdf('sha256', ikm, NO_SALT, INFO_PQXDH, 96);
  return {
    rootKey: okm.slice(0, 32),
    chainKey: okm.slice(32, 64),
    pqrKey: okm.slice(64, 96),
  };
}

/** Root step (spec §4): HKDF(salt = root key, ikm = DH, "WhisperRatchet", 64). */
export function rootStep(p: Primitives, rootKey: Uint8Array, dh: Uint8Array): RootAndChain {
  const okm = p.hkdf('sha256', dh, rootKey, INFO_RATCHET, 64);
  return { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64) };
}

/** The message-key seed of a chain key. */
export function messageKeySeed(p: Primitives, chainKey: Uint8Array): Uint8Array {
  return p.hmac('sha256', chainKey, MESSAGE_KEY_SEED);
}

/** The next chain key. */
export function nextChainKey(p: Primitives, chainKey: Uint8Array): Uint8Array {
  return p.hmac('sha256', chainKey, CHAIN_KEY_NEXT);
}

export interface MessageKeys {
  readonly cipherKey: Uint8Array;
  readonly macKey: Uint8Array;
  readonly iv: Uint8Array;
}

/** HKDF(salt = SPQR key, ikm = seed, "WhisperMessageKeys", 80): the SPQR key is the salt. */
export function messageKeys(p: Primitives, seed: Uint8Array, spqrKey: Uint8Array): MessageKeys {
  const okm = p.hkdf('sha256', seed, spqrKey, INFO_MESSAGE_KEYS, 80);
  return {
    cipherKey: okm.subarray(0, 32),
    macKey: okm.subarray(32, 64),
    iv: okm.subarray(64, 80),
  };
}
