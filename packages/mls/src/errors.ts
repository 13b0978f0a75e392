/** Stable codes for {@link MlsError}. */
export type MlsErrorCode =
  /** The cipher suite is not one this package implements. */
  | 'UNSUPPORTED_CIPHER_SUITE'
  /** Bytes that do not decode as the expected MLS structure, or a value outside its range. */
  | 'INVALID_ENCODING'
  /** A count or length exceeds a bound in `limits.ts`. */
  | 'LIMIT_EXCEEDED'
  /** A signature, MAC or tag did not verify. Deliberately says nothing more. */
  | 'AUTHENTICATION_FAILED'
  /**
   * A message could not be decrypted: bad tag, unknown sender, consumed or out-of-window
   * generation. These look the same to the caller.
   */
  | 'DECRYPT_FAILED'
  /** A message is well formed but not acceptable here (wrong group, epoch or sender type). */
  | 'INVALID_MESSAGE'
  /** The caller used an API wrongly (an index outside the tree, a wrong-length key). */
  | 'MISUSE';

/**
 * The one error class of `@parley/mls`. Messages say what was wrong and where, never key
 * material, plaintext or identities.
 */
export class MlsError extends Error {
  override readonly name = 'MlsError';
  constructor(
    readonly code: MlsErrorCode,
    message: string,
  ) {
    super(message);
  }
}
