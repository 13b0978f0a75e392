/** Stable codes for {@link ProtocolError}. */
export type ProtocolErrorCode =
  /** A key has the wrong length, type byte or form (non-canonical, all-zero agreement). */
  | 'INVALID_KEY'
  /** A bundle's signed prekey or Kyber prekey signature does not verify. */
  | 'INVALID_SIGNATURE'
  /** A message or bundle could not be parsed (wrong version, missing field, bad framing). */
  | 'INVALID_MESSAGE'
  /**
   * A message could not be decrypted. Deliberately says nothing more: a bad MAC, a wrong key,
   * an unknown chain, a jump past the limits and bad padding all look the same.
   */
  | 'DECRYPTION_FAILED'
  /** The message's key was already used (a replay, or older than the kept skipped keys). */
  | 'DUPLICATE_MESSAGE'
  /** There is no usable session with the remote address (or it expired unacknowledged). */
  | 'NO_SESSION'
  /** The remote identity key is not trusted by the identity store. */
  | 'UNTRUSTED_IDENTITY'
  /** A PreKey message names a prekey the stores do not hold. */
  | 'INVALID_PREKEY_ID'
  /** A stored record is malformed, of an unknown version or exceeds the limits. */
  | 'INVALID_RECORD'
  /** The caller used the API wrongly (bad device id, plaintext too long, …). */
  | 'MISUSE'
  /**
   * Sealed sender: the sender certificate's chain does not verify (server certificate not
   * signed by the trust root, or revoked; sender certificate not signed by the server key).
   */
  | 'INVALID_CERTIFICATE'
  /** Sealed sender: the sender certificate expired before the time of validation. */
  | 'CERTIFICATE_EXPIRED'
  /**
   * Sealed sender: the identity key in the sender certificate is not the one the envelope was
   * encrypted with (a valid certificate replayed around someone else's key).
   */
  | 'SENDER_MISMATCH'
  /** Sealed sender: the envelope claims to come from this very device. */
  | 'SEALED_SENDER_SELF_SEND';

/**
 * The one error class of `@parley/protocol`. Messages never contain key material, plaintext
 * or the bytes being parsed; decryption failures carry no reason at all.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The error every decryption failure becomes, whatever its cause. */
export function decryptionFailed(): ProtocolError {
  return new ProtocolError('DECRYPTION_FAILED', 'decryption failed');
}
