import type { AeadAlgorithm, Primitives } from '../primitives.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBytes, expectEqual, expectError } from './check.js';
import { concat, counting, flipBit, hex, repeat } from './test-bytes.js';

const AES_BLOCK = 16;
/** The interface fixes every AEAD tag at 16 bytes. */
const AEAD_TAG_LENGTH = 16;

/** NIST SP 800-38A Appendix F: the AES-256 key and the four plaintext blocks all modes share. */
export const SP800_38A_KEY_256 = hex(
  '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
);
export const SP800_38A_PLAINTEXT = hex(
  '6bc1bee22e409f96e93d7e117393172a' +
    'ae2d8a571e03ac9c9eb76fac45af8e51' +
    '30c81c46a35ce411e5fbc1191a0a52ef' +
    'f69f2445df4f9b17ad2b417be66c3710',
);
/** F.2.5 CBC-AES256.Encrypt. */
const F25_IV = counting(0x00, AES_BLOCK);
const F25_CIPHERTEXT = hex(
  'f58c4c04d6e5f1ba779eabfb5f7bfbd6' +
    '9cfc4e967edb808d679f777bc6702c7d' +
    '39f23369a9d9bacfa530e26304231461' +
    'b2eb05e2c39be9fcda6c19078c6a9d1b',
);
/** F.5.5 CTR-AES256.Encrypt. */
export const F55_COUNTER = counting(0xf0, AES_BLOCK);
export const F55_CIPHERTEXT = hex(
  '601ec313775789a5b7a7f504bbf3d228' +
    'f443e3ca4d62b59aca84e990cacaf5c5' +
    '2b0930daa23de94ce87017ba2d84988d' +
    'dfc9c58db67aada613c2dd08457941a6',
);

const AEADS: readonly AeadAlgorithm[] = [
  'aes-gcm',
  'aes-gcm-siv',
  'chacha20-poly1305',
  'xchacha20-poly1305',
];

/** NIST SP 800-38A AES-CBC and AES-CTR known answers, padding and counter behaviour. */
export function aesCases(p: Primitives): ConformanceCase[] {
  return [
    {
      name: 'NIST SP 800-38A F.2.5 CBC-AES256 encrypt (first four blocks; fifth is PKCS#7 padding)',
      run: () => {
        const sealed = p.aesCbcEncrypt(SP800_38A_KEY_256, F25_IV, SP800_38A_PLAINTEXT);
        expectBytes(sealed.subarray(0, F25_CIPHERTEXT.length), F25_CIPHERTEXT, 'ciphertext blocks');
        expectEqual(sealed.length, F25_CIPHERTEXT.length + AES_BLOCK, 'ciphertext length');
      },
    },
    {
      name: 'NIST SP 800-38A F.2.6 CBC-AES256 decrypt (with the PKCS#7 block appended)',
      run: () => {
        const sealed = p.aesCbcEncrypt(SP800_38A_KEY_256, F25_IV, SP800_38A_PLAINTEXT);
        expectBytes(
          p.aesCbcDecrypt(SP800_38A_KEY_256, F25_IV, sealed),
          SP800_38A_PLAINTEXT,
          'plaintext',
        );
      },
    },
    {
      name: 'PKCS#7: CBC with bad padding gives DECRYPT_FAILED',
      run: () => {
        // The raw F.2.5 ciphertext ends in the block f69f…3710: last byte 0x10 but not 16 × 0x10.
        expectError(
          () => p.aesCbcDecrypt(SP800_38A_KEY_256, F25_IV, F25_CIPHERTEXT),
          'DECRYPT_FAILED',
          'unpadded NIST ciphertext',
        );
        const sealed = p.aesCbcEncrypt(SP800_38A_KEY_256, F25_IV, SP800_38A_PLAINTEXT);
        // Flipping the last byte of the previous block turns the 0x10 padding byte into 0x11.
        const tampered = flipBit(sealed, (sealed.length - AES_BLOCK - 1) * 8);
        expectError(
          () => p.aesCbcDecrypt(SP800_38A_KEY_256, F25_IV, tampered),
          'DECRYPT_FAILED',
          'padding byte 0x11',
        );
        expectError(
          () => p.aesCbcDecrypt(SP800_38A_KEY_256, F25_IV, sealed.subarray(0, sealed.length - 1)),
          'DECRYPT_FAILED',
          'length not a multiple of the block',
        );
        expectError(
          () => p.aesCbcDecrypt(SP800_38A_KEY_256, F25_IV, new Uint8Array(0)),
          'DECRYPT_FAILED',
          'empty ciphertext',
        );
      },
    },
    {
      name: 'NIST SP 800-38A F.5.5 CTR-AES256 encrypt',
      run: () =>
        expectBytes(
          p.aesCtr(SP800_38A_KEY_256, F55_COUNTER, SP800_38A_PLAINTEXT),
          F55_CIPHERTEXT,
          'ciphertext',
        ),
    },
    {
      name: 'NIST SP 800-38A F.5.6 CTR-AES256 decrypt',
      run: () =>
        expectBytes(
          p.aesCtr(SP800_38A_KEY_256, F55_COUNTER, F55_CIPHERTEXT),
          SP800_38A_PLAINTEXT,
          'plaintext',
        ),
    },
    {
      name: 'Primitives.aesCtr: the counter is one 128-bit big-endian integer (carries past 64 bits)',
      run: () => {
        const zeros = new Uint8Array(2 * AES_BLOCK);
        const lowHalfFull = concat(new Uint8Array(8), repeat(0xff, 8));
        const carried = concat(hex('0000000000000001'), new Uint8Array(8));
        const stream = p.aesCtr(SP800_38A_KEY_256, lowHalfFull, zeros);
        const next = p.aesCtr(SP800_38A_KEY_256, carried, new Uint8Array(AES_BLOCK));
        expectBytes(stream.subarray(AES_BLOCK), next, 'second keystream block');
        const wrapped = p.aesCtr(SP800_38A_KEY_256, repeat(0xff, AES_BLOCK), zeros);
        const zero = p.aesCtr(
          SP800_38A_KEY_256,
          new Uint8Array(AES_BLOCK),
          new Uint8Array(AES_BLOCK),
        );
        expectBytes(wrapped.subarray(AES_BLOCK), zero, 'block after 2^128 − 1');
      },
    },
  ];
}

/** Round trips and tamper rejection for the four AEADs. */
export function aeadCases(p: Primitives): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const algorithm of AEADS) {
    const aead = p.aead[algorithm];
    const key = counting(0x40, 32);
    const nonce = counting(0x90, aead.nonceLength);
    const aad = counting(0x10, 13);
    const plaintext = counting(0x21, 37);
    cases.push({
      name: `AEAD ${algorithm}: seal/open round trip; omitted AAD equals empty AAD`,
      run: () => {
        const sealed = aead.seal(key, nonce, plaintext, aad);
        expectEqual(sealed.length, plaintext.length + aead.tagLength, 'sealed length');
        expectEqual(aead.tagLength, AEAD_TAG_LENGTH, 'tagLength');
        expectBytes(aead.open(key, nonce, sealed, aad), plaintext, 'opened plaintext');
        const empty = aead.seal(key, nonce, new Uint8Array(0));
        expectBytes(
          aead.open(key, nonce, empty, new Uint8Array(0)),
          new Uint8Array(0),
          'empty message',
        );
        expectBytes(
          aead.seal(key, nonce, plaintext, new Uint8Array(0)),
          aead.seal(key, nonce, plaintext),
          'AAD omitted vs empty',
        );
      },
    });
    cases.push({
      name: `AEAD ${algorithm}: any tampering gives DECRYPT_FAILED`,
      run: () => {
        const sealed = aead.seal(key, nonce, plaintext, aad);
        const open =
          (k: Uint8Array, n: Uint8Array, s: Uint8Array, a?: Uint8Array) => (): Uint8Array =>
            aead.open(k, n, s, a);
        expectError(
          open(key, nonce, flipBit(sealed, 0), aad),
          'DECRYPT_FAILED',
          'ciphertext bit flipped',
        );
        expectError(
          open(key, nonce, flipBit(sealed, sealed.length * 8 - 1), aad),
          'DECRYPT_FAILED',
          'tag bit flipped',
        );
        expectError(open(key, nonce, sealed, flipBit(aad, 3)), 'DECRYPT_FAILED', 'AAD changed');
        expectError(open(key, nonce, sealed), 'DECRYPT_FAILED', 'AAD dropped');
        expectError(open(key, flipBit(nonce, 5), sealed, aad), 'DECRYPT_FAILED', 'nonce changed');
        expectError(open(flipBit(key, 7), nonce, sealed, aad), 'DECRYPT_FAILED', 'key changed');
        expectError(
          open(key, nonce, sealed.subarray(0, sealed.length - 1), aad),
          'DECRYPT_FAILED',
          'truncated',
        );
        expectError(
          open(key, nonce, concat(sealed, new Uint8Array(1)), aad),
          'DECRYPT_FAILED',
          'extended',
        );
        expectError(
          open(key, nonce, sealed.subarray(0, aead.tagLength - 1), aad),
          'DECRYPT_FAILED',
          'shorter than a tag',
        );
      },
    });
  }
  return cases;
}
