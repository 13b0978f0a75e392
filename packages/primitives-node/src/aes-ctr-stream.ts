/**
 * AES-CTR as a stream over one node:crypto cipher, which keeps its place in the keystream across
 * updates (OpenSSL's CTR takes any byte boundary). node:crypto cannot write into the caller's
 * buffer, so each update's output is copied there and its own buffer freed at once
 * (`release-buffer.ts`) instead of waiting for the collector.
 */
import { createCipheriv } from 'node:crypto';
import { PrimitivesError, type StreamCipher } from '@parley/primitives';
import { toUint8Array } from './key-objects.js';
import { releaseBuffer } from './release-buffer.js';

/** A {@link StreamCipher} for AES-CTR under `key` from the counter block `iv` (both checked by the caller). */
export function nodeAesCtrStream(key: Uint8Array, iv: Uint8Array): StreamCipher {
  const cipher = createCipheriv(`aes-${key.length * 8}-ctr`, key, iv);
  return {
    update(input, output) {
      if (output !== undefined && output.length < input.length)
        throw new PrimitivesError('INVALID_LENGTH', 'AES-CTR output is shorter than its input');
      const piece = toUint8Array(cipher.update(input));
      if (output === undefined) return piece;
      output.set(piece);
      releaseBuffer(piece);
      return output.subarray(0, input.length);
    },
  };
}
