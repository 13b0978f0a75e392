/**
 * Attachment encryption: a fresh 64-byte key per attachment, from which HKDF-SHA-256 derives an
 * AES-256 key and an HMAC-SHA-256 key. The blob the relay stores is
 *
 *     iv (16) ‖ AES-256-CTR(aesKey, iv, plaintext ‖ zero padding) ‖ HMAC-SHA-256(macKey, iv ‖ ct)
 *
 * (encrypt-then-MAC, as Signal's attachments), with the plaintext padded to its Padmé size so the
 * relay learns a size bucket, not the size. The message that points at the blob carries the key,
 * the SHA-256 of the whole blob, the exact size and the plaintext's SHA-256, so a blob swapped,
 * altered or truncated at the relay fails before anything is kept.
 *
 * Why this construction: HMAC-SHA-256 under a key derived from the attachment key commits to
 * that key (a second key that verifies the same blob would be an HMAC collision), which an AEAD
 * such as AES-GCM does not (invisible salamanders); it is built from primitives both backends
 * already have and streams: CTR needs no padding oracle care, every chunk's counter is computed
 * from its offset, and the MAC and digests are incremental, so a file of any size passes through
 * in chunks and is never whole in memory.
 *
 * The encryptor and decryptor are synchronous state machines (feed bytes, take bytes); the
 * async streaming around them lives in `attachments.ts`. Each writes its output into one buffer
 * it reuses (the cipher is a `Primitives.createAesCtr` stream writing into it), so a file passes
 * through without a fresh buffer per chunk: the bytes an `update` returns are valid until the
 * next call. The decryptor releases plaintext before
 * the MAC is checked: its caller must keep that plaintext provisional (a temporary file) until
 * `final()` returns, and discard it when anything throws.
 */
import { concatBytes, constantTimeEqual, utf8Encode } from '@parley/bytes';
import type { IncrementalMac, Primitives, StreamCipher } from '@parley/primitives';
import { ClientError } from './errors.js';
import { MAX_ATTACHMENT_PLAINTEXT_BYTES } from './limits.js';

export const ATTACHMENT_KEY_LENGTH = 64;
export const ATTACHMENT_IV_LENGTH = 16;
export const ATTACHMENT_MAC_LENGTH = 32;
const KEY_INFO = utf8Encode('Parley attachment v1: AES-256-CTR key, HMAC-SHA-256 key');

/**
 * Padmé (Nikitin et al., PETS 2019): rounds a length up so that at most O(log log L) of its
 * low bits are free; the overhead is at most 12% and the number of distinct sizes small.
 */
export function padme(length: number): number {
  if (!Number.isSafeInteger(length) || length < 0)
    throw new ClientError('INVALID_INPUT', 'invalid attachment size');
  if (length < 2) return length;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const unit = 2 ** (e - s);
  return Math.ceil(length / unit) * unit;
}

/** The length of the blob the relay stores for a plaintext of `size` bytes. */
export function blobLength(size: number): number {
  return ATTACHMENT_IV_LENGTH + padme(size) + ATTACHMENT_MAC_LENGTH;
}

function deriveKeys(p: Primitives, key: Uint8Array): { aesKey: Uint8Array; macKey: Uint8Array } {
  if (key.length !== ATTACHMENT_KEY_LENGTH)
    throw new ClientError('INVALID_INPUT', 'attachment key must be 64 bytes');
  const okm = p.hkdf('sha256', key, new Uint8Array(0), KEY_INFO, 64);
  return { aesKey: okm.slice(0, 32), macKey: okm.slice(32) };
}

/**
 * A buffer of at least `length` bytes: `current` when it is large enough, else a new one (grown
 * to the largest piece a caller feeds, which it already holds itself).
 */
function atLeast(current: Uint8Array, length: number): Uint8Array {
  return current.length >= length ? current : new Uint8Array(length);
}

/** What the receiver needs besides the key to check a blob. */
export interface AttachmentDigests {
  /** SHA-256 of the whole blob (iv ‖ ciphertext ‖ MAC). */
  readonly digest: Uint8Array;
  /** SHA-256 of the plaintext (without padding). */
  readonly sha256: Uint8Array;
}

/**
 * Encrypts `size` bytes of plaintext fed in any chunks; emits the blob in order. What `update` and
 * `padding` return is a view of a buffer the next call reuses: use or copy it before then.
 */
export class AttachmentEncryptor {
  readonly #ctr: StreamCipher;
  readonly #mac: IncrementalMac;
  readonly #blobHash: IncrementalMac;
  readonly #plainHash: IncrementalMac;
  readonly #size: number;
  #fed = 0;
  #padded = 0;
  #started = false;
  #iv: Uint8Array;
  #out: Uint8Array = new Uint8Array(0);

  constructor(p: Primitives, key: Uint8Array, size: number, iv = p.randomBytes(16)) {
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ATTACHMENT_PLAINTEXT_BYTES)
      throw new ClientError('INVALID_INPUT', 'attachment too large');
    const { aesKey, macKey } = deriveKeys(p, key);
    this.#iv = iv;
    this.#size = size;
    this.#ctr = p.createAesCtr(aesKey, iv);
    aesKey.fill(0);
    this.#mac = p.createHmac('sha256', macKey);
    macKey.fill(0);
    this.#blobHash = p.createHash('sha256');
    this.#plainHash = p.createHash('sha256');
  }

  #emit(bytes: Uint8Array): Uint8Array {
    this.#mac.update(bytes);
    this.#blobHash.update(bytes);
    return bytes;
  }

  /**
   * `out` with the iv first if not yet sent, and where the next `length` bytes of ciphertext go.
   */
  #begin(out: Uint8Array): number {
    if (this.#started) return 0;
    this.#started = true;
    out.set(this.#iv);
    return ATTACHMENT_IV_LENGTH;
  }

  /** Blob bytes for the next plaintext chunk (the iv first). */
  update(plain: Uint8Array): Uint8Array {
    this.#fed += plain.length;
    if (this.#fed > this.#size)
      throw new ClientError('INVALID_INPUT', 'the file grew while it was being sent');
    this.#plainHash.update(plain);
    this.#out = atLeast(this.#out, plain.length + (this.#started ? 0 : ATTACHMENT_IV_LENGTH));
    const head = this.#begin(this.#out);
    this.#ctr.update(plain, this.#out.subarray(head));
    return this.#emit(this.#out.subarray(0, head + plain.length));
  }

  /**
   * Up to `max` bytes of the padding's ciphertext, once the whole file was fed (empty when none is
   * left): a sender calls it until empty so the padding (up to 1/2^5 of the size: 2 MiB at
   * 100 MB) is never allocated at once; `final` encrypts whatever is left.
   */
  padding(max: number): Uint8Array {
    if (this.#fed !== this.#size)
      throw new ClientError('INVALID_INPUT', 'the file changed size while it was being sent');
    const n = Math.min(max, padme(this.#size) - this.#size - this.#padded);
    if (n <= 0) return new Uint8Array(0);
    this.#padded += n;
    this.#out = atLeast(this.#out, n + (this.#started ? 0 : ATTACHMENT_IV_LENGTH));
    const head = this.#begin(this.#out);
    const zeros = this.#out.subarray(head, head + n).fill(0);
    this.#ctr.update(zeros, zeros);
    return this.#emit(this.#out.subarray(0, head + n));
  }

  /** The padding's ciphertext (what `padding` did not give) and the MAC; the digests. */
  final(): { tail: Uint8Array; digests: AttachmentDigests } {
    if (this.#fed !== this.#size)
      throw new ClientError('INVALID_INPUT', 'the file changed size while it was being sent');
    const padding = padme(this.#size) - this.#size - this.#padded;
    this.#padded += padding;
    const tail = new Uint8Array(
      (this.#started ? 0 : ATTACHMENT_IV_LENGTH) + padding + ATTACHMENT_MAC_LENGTH,
    );
    const head = this.#begin(tail);
    const zeros = tail.subarray(head, head + padding);
    this.#ctr.update(zeros, zeros);
    this.#emit(tail.subarray(0, head + padding));
    const mac = this.#mac.digest();
    this.#blobHash.update(mac);
    tail.set(mac, head + padding);
    return {
      tail,
      digests: { digest: this.#blobHash.digest(), sha256: this.#plainHash.digest() },
    };
  }
}

/** The one error every bad blob gives, whatever was wrong with it. */
function invalid(): ClientError {
  return new ClientError('ATTACHMENT_INVALID', 'the attachment does not match its message');
}

/**
 * Decrypts a blob fed in any chunks, emitting at most `size` plaintext bytes; `final()` checks
 * the length, the MAC, the blob digest and the plaintext digest. What `update` returns is a view
 * of a buffer the next call reuses: use or copy it before then.
 */
export class AttachmentDecryptor {
  readonly #p: Primitives;
  readonly #aesKey: Uint8Array;
  readonly #mac: IncrementalMac;
  readonly #blobHash: IncrementalMac;
  readonly #plainHash: IncrementalMac;
  readonly #expected: AttachmentDigests;
  readonly #size: number;
  readonly #padded: number;
  #ivBytes: Uint8Array = new Uint8Array(0);
  #ctr: StreamCipher | undefined;
  #ctFed = 0;
  #plainOut = 0;
  #macBytes: Uint8Array = new Uint8Array(0);
  #out: Uint8Array = new Uint8Array(0);

  constructor(p: Primitives, key: Uint8Array, size: number, expected: AttachmentDigests) {
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ATTACHMENT_PLAINTEXT_BYTES)
      throw invalid();
    const { aesKey, macKey } = deriveKeys(p, key);
    this.#p = p;
    this.#aesKey = aesKey;
    this.#size = size;
    this.#padded = padme(size);
    this.#expected = expected;
    this.#mac = p.createHmac('sha256', macKey);
    macKey.fill(0);
    this.#blobHash = p.createHash('sha256');
    this.#plainHash = p.createHash('sha256');
  }

  /** Plaintext for the next blob chunk (provisional until `final()` returns). */
  update(chunk: Uint8Array): Uint8Array {
    this.#blobHash.update(chunk);
    let rest = chunk;
    if (this.#ivBytes.length < ATTACHMENT_IV_LENGTH) {
      const take = Math.min(ATTACHMENT_IV_LENGTH - this.#ivBytes.length, rest.length);
      this.#ivBytes = concatBytes(this.#ivBytes, rest.subarray(0, take));
      rest = rest.subarray(take);
      if (this.#ivBytes.length === ATTACHMENT_IV_LENGTH) {
        this.#mac.update(this.#ivBytes);
        this.#ctr = this.#p.createAesCtr(this.#aesKey, this.#ivBytes);
        this.#aesKey.fill(0);
      }
    }
    let plain: Uint8Array = new Uint8Array(0);
    if (this.#ctr !== undefined && this.#ctFed < this.#padded && rest.length > 0) {
      const take = Math.min(this.#padded - this.#ctFed, rest.length);
      const ct = rest.subarray(0, take);
      rest = rest.subarray(take);
      this.#ctFed += take;
      this.#mac.update(ct);
      // Only the file's bytes are decrypted: the padding after them is checked by the MAC alone.
      const keep = Math.min(take, this.#size - this.#plainOut);
      if (keep > 0) {
        this.#out = atLeast(this.#out, keep);
        plain = this.#ctr.update(ct.subarray(0, keep), this.#out);
        this.#plainOut += keep;
        this.#plainHash.update(plain);
      }
    }
    if (rest.length > 0) {
      if (this.#macBytes.length + rest.length > ATTACHMENT_MAC_LENGTH) throw invalid();
      this.#macBytes = concatBytes(this.#macBytes, rest);
    }
    return plain;
  }

  /** Throws `ATTACHMENT_INVALID` unless the blob was whole and exactly the one the message named. */
  final(): void {
    if (this.#macBytes.length !== ATTACHMENT_MAC_LENGTH || this.#plainOut !== this.#size)
      throw invalid();
    const macOk = constantTimeEqual(this.#mac.digest(), this.#macBytes);
    const digestOk = constantTimeEqual(this.#blobHash.digest(), this.#expected.digest);
    const plainOk = constantTimeEqual(this.#plainHash.digest(), this.#expected.sha256);
    if (!(macOk && digestOk && plainOk)) throw invalid();
  }
}
