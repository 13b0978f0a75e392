import { BytesError } from './errors.js';

const HEX_DIGITS = '0123456789abcdef';
const HEX_BYTES = Array.from(
  { length: 256 },
  (_, b) => HEX_DIGITS.charAt(b >> 4) + HEX_DIGITS.charAt(b & 15),
);

/** Lowercase hexadecimal (RFC 4648 §8 base16, in lowercase). */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX_BYTES[b] ?? '';
  return out;
}

function hexNibble(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

/**
 * Decodes hexadecimal, either case. Throws `INVALID_ENCODING` for an odd length or any other
 * character, whitespace and `0x` prefixes included.
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new BytesError('INVALID_ENCODING', 'hex has odd length');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(hex.charCodeAt(2 * i));
    const lo = hexNibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      throw new BytesError('INVALID_ENCODING', `invalid hex character near index ${2 * i}`);
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeTable(alphabet: string): Int8Array {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}

const BASE64_TABLE = decodeTable(BASE64);
const BASE64URL_TABLE = decodeTable(BASE64URL);

function encodeBase64(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out +=
      alphabet.charAt(n >> 18) +
      alphabet.charAt((n >> 12) & 63) +
      alphabet.charAt((n >> 6) & 63) +
      alphabet.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] ?? 0) << 16;
    out += alphabet.charAt(n >> 18) + alphabet.charAt((n >> 12) & 63) + (pad ? '==' : '');
  } else if (rest === 2) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    out +=
      alphabet.charAt(n >> 18) +
      alphabet.charAt((n >> 12) & 63) +
      alphabet.charAt((n >> 6) & 63) +
      (pad ? '=' : '');
  }
  return out;
}

function decodeBase64(text: string, end: number, table: Int8Array, name: string): Uint8Array {
  if (end % 4 === 1) throw new BytesError('INVALID_ENCODING', `${name} has invalid length`);
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (table[code] ?? -1) : -1;
    if (value < 0) {
      throw new BytesError('INVALID_ENCODING', `invalid ${name} character at index ${i}`);
    }
    acc = (acc << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  if (acc !== 0) throw new BytesError('INVALID_ENCODING', `${name} has non-zero padding bits`);
  return out;
}

/** Standard base64 with `=` padding (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  return encodeBase64(bytes, BASE64, true);
}

/**
 * Decodes standard base64 (RFC 4648 §4) strictly: the length must be a multiple of 4 with one or
 * two `=` only at the end, no whitespace or other characters, and unused bits of the last
 * character must be zero, so each byte string has exactly one accepted encoding.
 */
export function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new BytesError('INVALID_ENCODING', 'base64 has invalid length');
  let end = text.length;
  if (text.endsWith('==')) end -= 2;
  else if (text.endsWith('=')) end -= 1;
  return decodeBase64(text, end, BASE64_TABLE, 'base64');
}

/** URL-safe base64 without padding (RFC 4648 §5, as in JWTs and URLs). */
export function toBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes, BASE64URL, false);
}

/**
 * Decodes unpadded URL-safe base64 (RFC 4648 §5) strictly: `=` is rejected, as are characters of
 * the standard alphabet (`+`, `/`), whitespace and non-zero unused bits in the last character.
 */
export function fromBase64Url(text: string): Uint8Array {
  return decodeBase64(text, text.length, BASE64URL_TABLE, 'base64url');
}
