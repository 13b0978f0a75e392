/** Stable codes for {@link PrimitivesError}. */
export type PrimitivesErrorCode =
  /** A key has the wrong length or is not a valid key for the algorithm. */
  | 'INVALID_KEY'
  /** A nonce, IV, tag, seed or requested output length is outside what the algorithm allows. */
  | 'INVALID_LENGTH'
  /** Authenticated decryption or padding check failed. Deliberately says nothing more. */
  | 'DECRYPT_FAILED'
  /** X25519 produced the all-zero output (the peer's key has small order). */
  | 'ZERO_SHARED_SECRET'
  /** The algorithm is not available in this backend. */
  | 'UNSUPPORTED';

/** The one error class of the primitives packages. Messages never contain key material. */
export class PrimitivesError extends Error {
  override readonly name = 'PrimitivesError';
  constructor(
    readonly code: PrimitivesErrorCode,
    message: string,
  ) {
    super(message);
  }
}
