import { utf8Encode } from '@parley/bytes';

/** Wire constants from `shared/specs/signal-v4-wire.md` §1. */

/** Version byte of every 1:1 message: message version 4 ‖ current version 4. */
export const CIPHERTEXT_VERSION_BYTE = 0x44;
export const CIPHERTEXT_VERSION = 4;
/** Type byte of a serialized Curve25519 public key. */
export const EC_KEY_TYPE = 0x05;
/** Type byte of a serialized round-3 Kyber1024 key or ciphertext. */
export const KYBER_KEY_TYPE = 0x08;
export const MAC_LENGTH = 8;

export const CURVE25519_KEY_LENGTH = 32;
export const SERIALIZED_EC_KEY_LENGTH = 33;
export const KYBER_PUBLIC_KEY_LENGTH = 1568;
export const KYBER_SECRET_KEY_LENGTH = 3168;
export const KYBER_CIPHERTEXT_LENGTH = 1568;
export const SIGNATURE_LENGTH = 64;
export const ADDRESSES_LENGTH = 36;

/** Envelope types of the two 1:1 message kinds. */
export const MessageType = { Whisper: 2, PreKey: 3 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const INFO_PQXDH = utf8Encode('WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024');
export const INFO_RATCHET = utf8Encode('WhisperRatchet');
export const INFO_MESSAGE_KEYS = utf8Encode('WhisperMessageKeys');
