import type { MlsCrypto } from '../mls-crypto.js';
import { getHex, VectorFormatError, type JsonObject } from './vector-json.js';

/**
 * A private key of a vector entry, in the form the suite's KEM serializes it. Some of the
 * implementations that wrote the official vectors drop the leading zero byte of a NIST-curve
 * scalar (a P-521 key whose top byte is zero, about half of them, appears as 65 bytes instead of
 * RFC 9180's Nsk = 66); such a key is left-padded with zeros back to Nsk. Keys of the other
 * groups, and keys of any other length, are returned as given, for the code under test to judge.
 */
export function getPrivateKey(c: MlsCrypto, o: JsonObject, key: string): Uint8Array {
  const bytes = getHex(o, key);
  const { order, privateKeyLength } = c.suite.kem;
  if (order === undefined || bytes.length >= privateKeyLength) return bytes;
  if (bytes.length === 0) throw new VectorFormatError(`${key} is empty`);
  const padded = new Uint8Array(privateKeyLength);
  padded.set(bytes, privateKeyLength - bytes.length);
  return padded;
}
