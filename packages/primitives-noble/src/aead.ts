import { gcm, gcmsiv } from '@noble/ciphers/aes.js';
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { Aead, AeadAlgorithm } from '@parley/primitives';
import { PrimitivesError } from '@parley/primitives';

type NobleAead = (
  key: Uint8Array,
  nonce: Uint8Array,
  aad?: Uint8Array,
) => {
  encrypt(plaintext: Uint8Array): Uint8Array;
  decrypt(ciphertext: Uint8Array): Uint8Array;
};

const TAG_LENGTH = 16;
/**
 * AES-GCM nonce lengths accepted by every backend. GCM itself takes any non-empty IV, but noble
 * refuses IVs under 8 bytes and OpenSSL 3 those over 128, so the interface promises the range
 * both can honour. Parley itself only uses 12-byte nonces; the others exist for conformance.
 */
export const MIN_GCM_NONCE_LENGTH = 8;
export const MAX_GCM_NONCE_LENGTH = 128;

/** Checks the lengths the interface promises, so every backend rejects the same inputs. */
export function checkAeadInputs(aead: Aead, key: Uint8Array, nonce: Uint8Array): void {
  if (!aead.keyLengths.includes(key.length))
    throw new PrimitivesError('INVALID_KEY', 'AEAD key has the wrong length');
  if (nonce.length < aead.minNonceLength || nonce.length > aead.maxNonceLength)
    throw new PrimitivesError('INVALID_LENGTH', 'AEAD nonce has the wrong length');
}

function wrap(
  cipher: NobleAead,
  keyLengths: number[],
  nonceLength: number,
  [minNonceLength, maxNonceLength] = [nonceLength, nonceLength],
): Aead {
  const aead: Aead = {
    keyLengths,
    nonceLength,
    minNonceLength,
    maxNonceLength,
    tagLength: TAG_LENGTH,
    seal(key, nonce, plaintext, aad) {
      checkAeadInputs(aead, key, nonce);
      return cipher(key, nonce, aad).encrypt(plaintext);
    },
    open(key, nonce, sealed, aad) {
      checkAeadInputs(aead, key, nonce);
      if (sealed.length < TAG_LENGTH)
        throw new PrimitivesError('DECRYPT_FAILED', 'decryption failed');
      try {
        return cipher(key, nonce, aad).decrypt(sealed);
      } catch {
        throw new PrimitivesError('DECRYPT_FAILED', 'decryption failed');
      }
    },
  };
  return aead;
}

export const nobleAeads: Readonly<Record<AeadAlgorithm, Aead>> = {
  'aes-gcm': wrap(gcm, [16, 24, 32], 12, [MIN_GCM_NONCE_LENGTH, MAX_GCM_NONCE_LENGTH]),
  'aes-gcm-siv': wrap(gcmsiv, [16, 32], 12),
  'chacha20-poly1305': wrap(chacha20poly1305, [32], 12),
  'xchacha20-poly1305': wrap(xchacha20poly1305, [32], 24),
};
