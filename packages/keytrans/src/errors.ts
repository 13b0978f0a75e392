/** Stable codes for {@link KeyTransError}. */
export type KeyTransErrorCode =
  /** Bytes that do not decode as the expected -05 structure (including a presence octet other than 0 or 1). */
  | 'MALFORMED'
  /** An input-driven bound from `limits.ts` was exceeded (sizes, positions, counts). */
  | 'LIMIT_EXCEEDED'
  /** A proof has more or fewer elements, results, timestamps or roots than the algorithm consumes. */
  | 'PROOF_SHAPE'
  /** A proof does not hash to the value it must (tree root, prefix root, retained subtree). */
  | 'PROOF_MISMATCH'
  /** Two proofs for one log entry, or a proof and the retained state, give different prefix roots. */
  | 'INCONSISTENT_PREFIX_ROOT'
  /** A retained full subtree or frontier entry does not match the new tree: the log rewrote its past. */
  | 'RETAINED_MISMATCH'
  /** The tree head, auditor head or update signature does not verify. */
  | 'BAD_SIGNATURE'
  /** A VRF proof does not verify under the log's VRF key. */
  | 'VRF_INVALID'
  /** Log entry timestamps are not monotonic. */
  | 'TIMESTAMP_ORDER'
  /** The rightmost log entry is further behind or ahead of the local clock than the log allows. */
  | 'STALE_HEAD'
  /** A tree head is not newer than the one advertised, or `same` was sent without one. */
  | 'HEAD_NOT_NEWER'
  /** The auditor's head lags too far, does not cover the client's last head, or is ahead of the log. */
  | 'AUDITOR_HEAD'
  /** A binary ladder disagrees with the claimed version (a stale or hidden greatest version). */
  | 'VERSION_MISMATCH'
  /** A monitored label-version is no longer shown correctly (rollback, freeze or removal). */
  | 'MONITOR_FAILED'
  /** The owner's label has a version the owner did not create or expect. */
  | 'UNEXPECTED_VERSION'
  /** The requested label or version does not exist in the log. */
  | 'NOT_FOUND'
  /** The requested version is expired (past the log's maximum lifetime). */
  | 'EXPIRED'
  /** A request the log must refuse (wrong order, unknown position, stale greatest version). */
  | 'INVALID_REQUEST'
  /** The label already has versions waiting for the next entry (try again after it). */
  | 'UPDATE_PENDING'
  /** A required answer was not given: the label cannot be verified now (never reported as success). */
  | 'CANNOT_VERIFY'
  /** The caller used the API wrongly (a bug in the caller, not hostile input). */
  | 'MISUSE';

/**
 * The one error class of `@parley/keytrans`. Messages say which check failed, never a label,
 * value or key: labels are user identifiers.
 */
export class KeyTransError extends Error {
  override readonly name = 'KeyTransError';
  constructor(
    readonly code: KeyTransErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Throws a {@link KeyTransError} with `code` unless `condition` holds. */
export function check(
  condition: boolean,
  code: KeyTransErrorCode,
  message: string,
): asserts condition {
  if (!condition) throw new KeyTransError(code, message);
}
