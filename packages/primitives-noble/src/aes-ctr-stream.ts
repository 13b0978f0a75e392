/**
 * AES-CTR as a stream over noble's `ctr`, which starts at its counter block on every call: the
 * stream keeps its byte position, runs whole blocks through `ctr` at their counter (straight into
 * the caller's output, which noble wants 4-byte aligned), and keeps one keystream block for a
 * partial block at either end of an update.
 */
import { ctr } from '@noble/ciphers/aes.js';
import { PrimitivesError, type StreamCipher } from '@parley/primitives';

const AES_BLOCK = 16;

/** The counter block `blocks` blocks after `iv` (big-endian 128-bit addition, wrapping). */
function counterAt(iv: Uint8Array, blocks: number): Uint8Array {
  const out = iv.slice();
  let carry = blocks;
  for (let i = out.length - 1; i >= 0 && carry > 0; i--) {
    const sum = (out[i] ?? 0) + (carry % 256);
    out[i] = sum & 0xff;
    carry = Math.floor(carry / 256) + (sum >> 8);
  }
  return out;
}

/** `out[at + j] = input[at + j] ^ keystream[from + j]` for `j < length`. */
function xorInto(
  out: Uint8Array,
  input: Uint8Array,
  at: number,
  keystream: Uint8Array,
  from: number,
  length: number,
): void {
  for (let j = 0; j < length; j++) out[at + j] = (input[at + j] ?? 0) ^ (keystream[from + j] ?? 0);
}

/** A {@link StreamCipher} for AES-CTR under `key` from the counter block `iv` (both checked by the caller). */
export function nobleAesCtrStream(key: Uint8Array, iv: Uint8Array): StreamCipher {
  const aesKey = key.slice();
  const start = iv.slice();
  /** Keystream bytes used so far. */
  let position = 0;
  /** The keystream of the block `position` is inside, while it is part-used. */
  let partial = new Uint8Array(AES_BLOCK);
  return {
    update(input, output) {
      const n = input.length;
      if (output !== undefined && output.length < n)
        throw new PrimitivesError('INVALID_LENGTH', 'AES-CTR output is shorter than its input');
      const out = output === undefined ? new Uint8Array(n) : output.subarray(0, n);
      let at = 0;
      const used = position % AES_BLOCK;
      if (used !== 0 && n > 0) {
        at = Math.min(AES_BLOCK - used, n);
        xorInto(out, input, 0, partial, used, at);
        position += at;
      }
      const whole = n - at - ((n - at) % AES_BLOCK);
      if (whole > 0) {
        const cipher = ctr(aesKey, counterAt(start, position / AES_BLOCK));
        const src = input.subarray(at, at + whole);
        const dst = out.subarray(at, at + whole);
        if (dst.byteOffset % 4 === 0) cipher.encrypt(src, dst);
        else dst.set(cipher.encrypt(src));
        at += whole;
        position += whole;
      }
      if (at < n) {
        partial = ctr(aesKey, counterAt(start, position / AES_BLOCK)).encrypt(
          new Uint8Array(AES_BLOCK),
        );
        xorInto(out, input, at, partial, 0, n - at);
        position += n - at;
      }
      return out;
    },
  };
}
