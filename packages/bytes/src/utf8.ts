import { BytesError } from './errors.js';

/** Code units handed to `String.fromCharCode` per call, well under engines' argument limits. */
const CHUNK_UNITS = 8192;

function invalid(message: string): BytesError {
  return new BytesError('INVALID_ENCODING', message);
}

/**
 * Encodes a string as UTF-8. Throws `INVALID_ENCODING` for a lone surrogate instead of
 * silently writing U+FFFD, so that decoding the output always gives back the input.
 */
export function utf8Encode(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      const low = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || low < 0xdc00 || low > 0xdfff) {
        throw invalid(`lone surrogate at index ${i}`);
      }
      i++;
      const cp = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
      out[n++] = 0xf0 | (cp >> 18);
      out[n++] = 0x80 | ((cp >> 12) & 0x3f);
      out[n++] = 0x80 | ((cp >> 6) & 0x3f);
      out[n++] = 0x80 | (cp & 0x3f);
    }
  }
  return out.slice(0, n);
}

/**
 * Decodes UTF-8 strictly: overlong forms, surrogates, code points above U+10FFFF, stray
 * continuation bytes and truncated sequences throw `INVALID_ENCODING`. A leading byte order mark
 * is kept as U+FEFF, not stripped.
 */
export function utf8Decode(bytes: Uint8Array): string {
  const units = new Uint16Array(bytes.length);
  let n = 0;
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i] ?? 0;
    if (b0 < 0x80) {
      units[n++] = b0;
      i++;
      continue;
    }
    let extra: number;
    let cp: number;
    let min: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      extra = 1;
      cp = b0 & 0x1f;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      extra = 2;
      cp = b0 & 0x0f;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      extra = 3;
      cp = b0 & 0x07;
      min = 0x10000;
    } else {
      throw invalid(`invalid UTF-8 lead byte at offset ${i}`);
    }
    if (i + extra >= bytes.length) throw invalid(`truncated UTF-8 sequence at offset ${i}`);
    for (let k = 1; k <= extra; k++) {
      const b = bytes[i + k] ?? 0;
      if ((b & 0xc0) !== 0x80) throw invalid(`invalid UTF-8 continuation at offset ${i + k}`);
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw invalid(`invalid UTF-8 code point at offset ${i}`);
    }
    if (cp >= 0x10000) {
      units[n++] = 0xd800 + ((cp - 0x10000) >> 10);
      units[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    } else {
      units[n++] = cp;
    }
    i += extra + 1;
  }
  let text = '';
  for (let start = 0; start < n; start += CHUNK_UNITS) {
    text += String.fromCharCode(...units.subarray(start, Math.min(n, start + CHUNK_UNITS)));
  }
  return text;
}
