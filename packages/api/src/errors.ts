/**
 * The one registry of error codes the relay returns, with the HTTP status of each. Every error
 * response body is `{ "error": { "code", "message", "details"? } }`; `code` is stable and is what
 * clients branch on, `message` is for people and says little (no identifiers, no key material).
 */
export const ERROR_CODES = {
  INVALID_REQUEST: {
    status: 400,
    description:
      'The body, path or query does not match the schema (a field is missing, too long, or has the wrong form).',
  },
  MALFORMED_JSON: { status: 400, description: 'The body is not valid JSON.' },
  UNAUTHORIZED: {
    status: 401,
    description:
      'Missing or wrong device credentials. The relay does not say which part was wrong.',
  },
  FORBIDDEN: {
    status: 403,
    description:
      'The device is authenticated but may not do this (only the primary device, id 1, manages the account).',
  },
  LINK_TOKEN_INVALID: {
    status: 403,
    description: 'The link token is unknown, used or expired.',
  },
  DELIVERY_TOKEN_INVALID: {
    status: 401,
    description:
      "The delivery token of an unauthenticated (sealed sender) send is not the recipient's current one, or the recipient is unknown: the relay does not say which. Nothing was stored; send authenticated instead.",
  },
  NOT_FOUND: { status: 404, description: 'No such route.' },
  PROFILE_NOT_FOUND: {
    status: 404,
    description: 'The account has not stored an encrypted profile.',
  },
  ACCOUNT_NOT_FOUND: { status: 404, description: 'No account with that id or username.' },
  DEVICE_NOT_FOUND: { status: 404, description: 'No device with that id on the account.' },
  DEVICE_LIST_NOT_FOUND: {
    status: 404,
    description: 'The account has not published a signed device list yet.',
  },
  PROVISIONING_NOT_FOUND: {
    status: 404,
    description: 'The provisioning channel is unknown or expired.',
  },
  ATTACHMENT_NOT_FOUND: { status: 404, description: 'The attachment is unknown or expired.' },
  GROUP_NOT_FOUND: { status: 404, description: 'No group with that id is registered.' },
  USERNAME_TAKEN: {
    status: 409,
    description: 'The username (compared case-insensitively) is taken.',
  },
  TOO_MANY_DEVICES: {
    status: 409,
    description: 'The account already has the most devices allowed (MAX_DEVICES_PER_ACCOUNT).',
  },
  DEVICE_LIST_VERSION_STALE: {
    status: 409,
    description: 'The signed device list version is not greater than the one the relay holds.',
  },
  DEVICE_MISMATCH: {
    status: 409,
    description:
      'The ciphertexts of a send do not match the current devices: `details.accounts` lists, per account, the missing, extra and stale (re-registered) device ids. Fetch keys for them and retry.',
  },
  TOO_MANY_KEYS: {
    status: 409,
    description: 'Storing these one-time keys would exceed the per-device limit.',
  },
  GROUP_EXISTS: { status: 409, description: 'A group with that id is already registered.' },
  EPOCH_CONFLICT: {
    status: 409,
    description:
      'The group is no longer at the epoch the commit was made in (another commit was accepted first): `details.epoch` is the current epoch. Fetch and process the commits since, then retry on the new epoch.',
  },
  UPLOAD_OFFSET_MISMATCH: {
    status: 409,
    description:
      'The chunk does not start where the upload stands (`details.received`): ask for the upload and continue from there.',
  },
  BODY_TOO_LARGE: { status: 413, description: 'The body is larger than the route accepts.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description: 'The content type is not the one the route accepts.',
  },
  TOO_MANY_UPLOADS: {
    status: 429,
    description:
      'The account has the most incomplete uploads or stored blob bytes allowed; finish or wait for some to expire.',
  },
  RATE_LIMITED: {
    status: 429,
    description:
      'Too many requests from this address or account; retry after `Retry-After` seconds.',
  },
  INTERNAL: {
    status: 500,
    description: 'A bug or a dependency failed; nothing about it is disclosed.',
  },
  QUEUE_FULL: {
    status: 503,
    description: "A recipient device's queue is at its limit; nothing was stored, retry later.",
  },
  UNAVAILABLE: { status: 503, description: 'The relay is shutting down or overloaded.' },
  KT_UNAVAILABLE: {
    status: 503,
    description:
      'The relay has no key transparency log, or its log did not answer; clients that verify keys stop (never fall back). When the log failed, `details.code` says why: its own error code (`INTERNAL`, `UNAVAILABLE`…), `TIMEOUT` or `UNREACHABLE`.',
  },
  KT_REFUSED: {
    status: 422,
    description:
      'The key transparency log refused the query: `details.code` is its code (`NOT_FOUND` for a label it does not hold, `MALFORMED`, `INVALID_REQUEST`…).',
  },
} as const satisfies Record<string, { readonly status: number; readonly description: string }>;

/** A stable error code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The HTTP status the relay answers with for `code`. */
export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** True when `value` is one of the registry's codes (for clients reading a response). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** Per-account device mismatch, the `details` of a `DEVICE_MISMATCH` error. */
export interface DeviceMismatch {
  readonly accountId: string;
  /** Devices the account has that the send did not include. */
  readonly missing: readonly number[];
  /** Devices the send included that the account does not have. */
  readonly extra: readonly number[];
  /** Devices whose registration id changed: the client's session with them is stale. */
  readonly stale: readonly number[];
}

/** WebSocket close codes the relay uses (4000–4999 is the application range). */
export const WS_CLOSE = {
  /** Normal close, or the relay is shutting down. */
  NORMAL: 1000,
  /** The relay is going away (shutdown); reconnect to another node or later. */
  GOING_AWAY: 1001,
  /**
   * A frame was not a binary delivery protocol 2 frame, was truncated or too large, had a field
   * out of its bound, or came out of order (an ack beyond what was pushed, a second auth).
   */
  BAD_FRAME: 4000,
  /** The first frame was not a valid `auth`, or it did not arrive in time. */
  UNAUTHORIZED: 4001,
  /** The same device connected again; this older connection is closed. */
  REPLACED: 4002,
  /** The device was removed from its account. */
  DEVICE_REMOVED: 4003,
  /** The client did not answer heartbeats. */
  HEARTBEAT_TIMEOUT: 4004,
  /** The client sent frames faster than the rate limit. */
  RATE_LIMITED: 4029,
} as const;
