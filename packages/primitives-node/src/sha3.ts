import { createHash } from 'node:crypto';
import type { Kyber1024Hashes } from '@parley/primitives-noble';

/**
 * OpenSSL's SHA3-256 and SHAKE-256 for the round-3 hashing around noble's ML-KEM (1,568-byte
 * inputs: ~6 µs here against ~46 µs for noble's JavaScript Keccak). The ML-KEM core keeps
 * noble's own hashing.
 */
export const nodeKyberHashes: Kyber1024Hashes = {
  sha3_256(data) {
    const d = createHash('sha3-256').update(data).digest();
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  },
  shake256(data, length) {
    const d = createHash('shake256', { outputLength: length }).update(data).digest();
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  },
};
