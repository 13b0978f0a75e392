/** Stable codes for {@link WebIntegrityError}. */
export type WebIntegrityErrorCode =
  /** The manifest is not JSON, or a field is missing, of the wrong type or out of bounds. */
  | 'INVALID_MANIFEST'
  /** The manifest's `root` is not the hash of its canonical form. */
  | 'ROOT_MISMATCH';

/** The one error class of `@parley/web-integrity`; messages name fields, never file contents. */
export class WebIntegrityError extends Error {
  override readonly name = 'WebIntegrityError';
  constructor(
    readonly code: WebIntegrityErrorCode,
    message: string,
  ) {
    super(message);
  }
}
