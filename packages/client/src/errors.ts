/** The SDK's one error class; callers branch on `code`. Messages never carry secrets or text. */
export type ClientErrorCode =
  /** Called in the wrong state (not registered, already registered…). */
  | 'MISUSE'
  /** The relay could not be reached. */
  | 'UNREACHABLE'
  /** The relay answered with an error (`relayCode` holds its registry code). */
  | 'RELAY'
  /**
   * The relay's answer is malformed or contradicts what this device holds or verified (a
   * device id already taken, a value out of range): the relay is faulty or hostile, and
   * nothing was changed.
   */
  | 'RELAY_INCONSISTENT'
  | 'UNKNOWN_USER'
  | 'USERNAME_TAKEN'
  /** A contact's account key differs from the accepted one; sending stops until accepted. */
  | 'KEY_CHANGED'
  /** A device list did not verify, went backwards, or the relay named a device it does not list. */
  | 'UNTRUSTED_DEVICES'
  /** The local store could not be opened (wrong passphrase or key file, or damaged). */
  | 'STORE_LOCKED'
  /** Input the SDK refuses (too long, malformed). */
  | 'INVALID_INPUT'
  /** No group of ours matches the name or id given (or it matches several). */
  | 'UNKNOWN_GROUP'
  /**
   * A group leaf whose credential names a device that is not in that account's verified,
   * signed device list with that MLS signature key (a ghost member); the commit, Welcome or
   * KeyPackage was refused and the group state is unchanged.
   */
  | 'UNBACKED_MEMBER'
  /** A group change lost the epoch race `MAX_COMMIT_RETRIES` times; running it again is safe. */
  | 'GROUP_CONFLICT'
  /** A group message or commit that could not be processed (undecryptable or invalid). */
  | 'GROUP_REFUSED'
  /**
   * We are no longer a member of the group (removed, left, or the relay no longer routes for
   * us): a queued group message was not sent and never will be.
   */
  | 'NOT_A_MEMBER'
  /**
   * Key transparency: the relay has no log (after one was pinned, or with the `required` policy)
   * or the log did not answer; keys cannot be verified, so nothing is sent to them.
   */
  | 'KT_UNAVAILABLE'
  /** The label (a new account, key or device list) is not in the log yet: try after its next entry. */
  | 'KT_NOT_IN_LOG'
  /** The log's proof does not verify (`relayCode` holds the `KeyTransError` code); nothing stored. */
  | 'KT_PROOF_INVALID'
  /** The relay served a key, account or device list other than the log's: not sent, nothing stored. */
  | 'KT_MISMATCH'
  /** Two heads of the log that cannot both be true (a fork), seen through gossip. */
  | 'KT_FORK'
  /**
   * An attachment's blob is not the one its message names (altered, truncated, swapped or
   * expired at the relay): nothing of it may be kept.
   */
  | 'ATTACHMENT_INVALID'
  /** A backup file that is not one, or was damaged: nothing was restored. */
  | 'BACKUP_INVALID'
  /** A well-formed recovery key that is not this backup's: nothing was restored. */
  | 'BACKUP_WRONG_KEY';

/**
 * What the relay answered when a request failed: its HTTP status, its registry code and the
 * code in its `details` (for KT routes, the log's own code). Stable codes only, never a body.
 */
export interface RelayAnswer {
  readonly status: number;
  readonly code?: string;
  readonly detail?: string;
}

/** `RelayAnswer` as one line for reports: `HTTP 503 KT_UNAVAILABLE (INTERNAL)`. */
export function describeAnswer(a: RelayAnswer): string {
  const code = a.code === undefined ? '' : ` ${a.code}`;
  const detail = a.detail === undefined ? '' : ` (${a.detail})`;
  return `HTTP ${String(a.status)}${code}${detail}`;
}

export class ClientError extends Error {
  override readonly name = 'ClientError';
  /** The relay's failed answer, when there was one. */
  readonly answer?: RelayAnswer;
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly relayCode?: string,
    options?: { cause?: unknown; answer?: RelayAnswer },
  ) {
    super(message, options);
    if (options?.answer !== undefined) this.answer = options.answer;
  }
}
