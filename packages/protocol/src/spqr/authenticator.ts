/**
 * The braid's authenticator: a root key and a MAC key, ratcheted with every epoch's secret.
 * The header (ρ ‖ H(ek)) and the ciphertext (ct1 ‖ ct2) each carry a 32-byte HMAC-SHA256
 * under the MAC key of their epoch, so a peer who does not hold the session's PQXDH secret and
 * every earlier epoch secret cannot inject a key or a ciphertext.
 */
import { concatBytes, constantTimeEqual, uint64BE, utf8Encode } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';

const INFO_UPDATE = utf8Encode('Signal_PQCKA_V1_MLKEM768:Authenticator Update');
const LABEL_HEADER = utf8Encode('Signal_PQCKA_V1_MLKEM768:ekheader');
const LABEL_CIPHERTEXT = utf8Encode('Signal_PQCKA_V1_MLKEM768:ciphertext');
const ZERO_SALT = new Uint8Array(32);
export const MAC_BYTES = 32;

export interface Authenticator {
  readonly rootKey: Uint8Array;
  readonly macKey: Uint8Array;
}

/** Mixes `key` into the authenticator for `epoch`. */
export function authUpdate(
  p: Primitives,
  a: Authenticator,
  epoch: number,
  key: Uint8Array,
): Authenticator {
  const out = p.hkdf(
    'sha256',
    concatBytes(a.rootKey, key),
    ZERO_SALT,
    concatBytes(INFO_UPDATE, uint64BE(BigInt(epoch))),
    64,
  );
  return { rootKey: out.slice(0, 32), macKey: out.slice(32, 64) };
}

/** The authenticator of epoch 1: the zero root updated with PQXDH's SPQR key. */
export function authStart(p: Primitives, pqrKey: Uint8Array): Authenticator {
  return authUpdate(p, { rootKey: new Uint8Array(32), macKey: new Uint8Array(32) }, 1, pqrKey);
}

export function macHeader(
  p: Primitives,
  a: Authenticator,
  epoch: number,
  header: Uint8Array,
): Uint8Array {
  return p.hmac('sha256', a.macKey, concatBytes(LABEL_HEADER, uint64BE(BigInt(epoch)), header));
}

export function macCiphertext(
  p: Primitives,
  a: Authenticator,
  epoch: number,
  ciphertext: Uint8Array,
): Uint8Array {
  return p.hmac(
    'sha256',
    a.macKey,
    concatBytes(LABEL_CIPHERTEXT, uint64BE(BigInt(epoch)), ciphertext),
  );
}

export function headerMacValid(
  p: Primitives,
  a: Authenticator,
  epoch: number,
  header: Uint8Array,
  mac: Uint8Array,
): boolean {
  return constantTimeEqual(macHeader(p, a, epoch, header), mac);
}

export function ciphertextMacValid(
  p: Primitives,
  a: Authenticator,
  epoch: number,
  ciphertext: Uint8Array,
  mac: Uint8Array,
): boolean {
  return constantTimeEqual(macCiphertext(p, a, epoch, ciphertext), mac);
}
