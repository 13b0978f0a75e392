import type { Primitives, StreamCipher } from '../primitives.js';
import {
  F55_CIPHERTEXT,
  F55_COUNTER,
  SP800_38A_KEY_256,
  SP800_38A_PLAINTEXT,
} from './cases-cipher.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBytes, expectEqual, expectError, expectTrue } from './check.js';
import { concat, counting, repeat } from './test-bytes.js';

/** Piece sizes that start and end updates on and off block (and 4-byte) boundaries. */
const SPLITS: readonly number[] = [1, 3, 15, 16, 17, 31, 33, 64];
/** 2^128 − 3: the stream crosses the counter's wrap to zero two blocks in. */
const NEAR_WRAP = concat(repeat(0xff, 15), Uint8Array.of(0xfd));

/** `data` through `cipher` in pieces of `size` (the last shorter), into one fresh array. */
export function streamInPieces(cipher: StreamCipher, data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let at = 0; at < data.length; at += size) {
    const n = Math.min(size, data.length - at);
    const written = cipher.update(data.subarray(at, at + n), out.subarray(at));
    expectEqual(written.length, n, `update of ${n} bytes: length written`);
    expectEqual(written.byteOffset, out.byteOffset + at, `update of ${n} bytes: where it wrote`);
  }
  return out;
}

/** `Primitives.createAesCtr`: the same keystream as `aesCtr`, however the input is split. */
export function aesCtrStreamCases(p: Primitives): ConformanceCase[] {
  return [
    {
      name: 'createAesCtr: NIST SP 800-38A F.5.5 in pieces of any size, across block boundaries',
      run: () => {
        for (const size of SPLITS) {
          const cipher = p.createAesCtr(SP800_38A_KEY_256, F55_COUNTER);
          expectBytes(
            streamInPieces(cipher, SP800_38A_PLAINTEXT, size),
            F55_CIPHERTEXT,
            `pieces of ${size}`,
          );
        }
      },
    },
    {
      name: 'createAesCtr: equals aesCtr across the 128-bit counter wrap, at any split',
      run: () => {
        const data = counting(7, 200);
        const whole = p.aesCtr(SP800_38A_KEY_256, NEAR_WRAP, data);
        for (const size of SPLITS) {
          const cipher = p.createAesCtr(SP800_38A_KEY_256, NEAR_WRAP);
          expectBytes(streamInPieces(cipher, data, size), whole, `pieces of ${size}`);
        }
      },
    },
    {
      name: 'createAesCtr: output given, in place, unaligned or not given; the input is left alone',
      run: () => {
        const data = counting(1, 100);
        const whole = p.aesCtr(SP800_38A_KEY_256, F55_COUNTER, data);
        const fresh = p.createAesCtr(SP800_38A_KEY_256, F55_COUNTER);
        const first = fresh.update(data.subarray(0, 37));
        expectBytes(first, whole.subarray(0, 37), 'no output: a new array');
        expectBytes(fresh.update(data.subarray(37)), whole.subarray(37), 'no output: continued');
        expectBytes(data, counting(1, 100), 'input unchanged');
        const inPlace = data.slice();
        const cipher = p.createAesCtr(SP800_38A_KEY_256, F55_COUNTER);
        cipher.update(inPlace.subarray(0, 5), inPlace.subarray(0, 5));
        cipher.update(inPlace.subarray(5), inPlace.subarray(5));
        expectBytes(inPlace, whole, 'in place');
        const big = new Uint8Array(103).fill(0xee);
        const odd = p.createAesCtr(SP800_38A_KEY_256, F55_COUNTER);
        const written = odd.update(data, big.subarray(1));
        expectBytes(written, whole, 'into an output at an odd offset');
        expectTrue(
          big[0] === 0xee && big[101] === 0xee && big[102] === 0xee,
          'nothing else written',
        );
      },
    },
    {
      name: 'createAesCtr: bad key or IV refused; a short output gives INVALID_LENGTH and changes nothing',
      run: () => {
        expectError(() => p.createAesCtr(new Uint8Array(31), F55_COUNTER), 'INVALID_KEY', 'key');
        expectError(
          () => p.createAesCtr(SP800_38A_KEY_256, new Uint8Array(15)),
          'INVALID_LENGTH',
          'IV',
        );
        const cipher = p.createAesCtr(SP800_38A_KEY_256, F55_COUNTER);
        const head = cipher.update(SP800_38A_PLAINTEXT.subarray(0, 9));
        expectError(
          () => cipher.update(SP800_38A_PLAINTEXT.subarray(9), new Uint8Array(10)),
          'INVALID_LENGTH',
          'short output',
        );
        const rest = cipher.update(SP800_38A_PLAINTEXT.subarray(9));
        expectBytes(concat(head, rest), F55_CIPHERTEXT, 'the stream after the refusal');
      },
    },
  ];
}
