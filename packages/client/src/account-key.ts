/**
 * Changing the account key in place. The primary makes a new key, signs the device list with
 * it, and has the relay swap key and list at once; its other devices learn the new key from a
 * sync message carrying an endorsement: the new key signed (XEdDSA) by the old one, which they
 * check against the key they hold, so no relay can move them to a key of its own. Contacts see
 * an ordinary key change (pending until they accept it after comparing safety numbers).
 */
import { concatBytes, utf8Encode } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';

const LABEL = utf8Encode('parley account key change v1');

function message(accountId: string, newKey: Uint8Array): Uint8Array {
  return concatBytes(LABEL, Uint8Array.of(0), utf8Encode(accountId), Uint8Array.of(0), newKey);
}

/** The old key's signature over the new key (33-byte form) for `accountId`. */
export function endorseAccountKey(
  p: Primitives,
  oldPrivateKey: Uint8Array,
  accountId: string,
  newKey: Uint8Array,
): Uint8Array {
  return p.xeddsa.sign(oldPrivateKey, message(accountId, newKey));
}

/** True when `signature` is the old key's endorsement of `newKey` for `accountId`. */
export function endorsed(
  p: Primitives,
  oldKey: Uint8Array,
  accountId: string,
  newKey: Uint8Array,
  signature: Uint8Array,
): boolean {
  return p.xeddsa.verify(oldKey, message(accountId, newKey), signature);
}
