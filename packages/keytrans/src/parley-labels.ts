import { utf8Decode, utf8Encode } from '@parley/bytes';
import { decode, encode, readU64, writeU64 } from './codec-primitives.js';
import { KeyTransError, check } from './errors.js';
import { MAX_LABEL_BYTES, MAX_TIMESTAMP } from './limits.js';
import { HASH_LENGTH } from './suite.js';

/**
 * What Parley puts in its log: three kinds of label, each a one-byte kind then a UTF-8 id, so
 * they never collide, and one value shape per kind (TLS-encoded, like everything the log
 * commits to).
 *
 * - `username → account id`: who a username belongs to (stops a relay re-pointing a name);
 * - `account id → account public key and its epoch`: stops a substituted account key;
 * - `account id → device-list version and hash`: stops a rolled-back or frozen device list.
 */
export const LabelKind = { username: 1, accountKey: 2, deviceList: 3 } as const;
export type LabelKind = (typeof LabelKind)[keyof typeof LabelKind];

function label(kind: LabelKind, id: string): Uint8Array {
  const body = utf8Encode(id);
  check(body.length > 0 && body.length < MAX_LABEL_BYTES, 'LIMIT_EXCEEDED', 'label id length');
  const out = new Uint8Array(body.length + 1);
  out[0] = kind;
  out.set(body, 1);
  return out;
}

/** The label of a username (already normalised by the caller). */
export const usernameLabel = (username: string): Uint8Array => label(LabelKind.username, username);
/** The label of an account's public key. */
export const accountKeyLabel = (accountId: string): Uint8Array =>
  label(LabelKind.accountKey, accountId);
/** The label of an account's device list. */
export const deviceListLabel = (accountId: string): Uint8Array =>
  label(LabelKind.deviceList, accountId);

/** Splits a Parley label into its kind and id. */
export function parseLabel(bytes: Uint8Array): { kind: LabelKind; id: string } {
  const kind = bytes[0];
  check(kind === 1 || kind === 2 || kind === 3, 'MALFORMED', 'unknown label kind');
  return { kind, id: decode(bytes.subarray(1), (r) => utf8Decode(r.bytes(r.remaining))) };
}

/** Value of a username label: the account id. */
export const encodeUsernameValue = (accountId: string): Uint8Array =>
  encode((w) => w.opaque('u8', utf8Encode(accountId)));
export const decodeUsernameValue = (bytes: Uint8Array): string =>
  decode(bytes, (r) => utf8Decode(r.opaque('u8')));

/** Value of an account-key label: the key and the epoch it starts. */
export interface AccountKeyValue {
  readonly epoch: number;
  readonly publicKey: Uint8Array;
}

export const encodeAccountKeyValue = (v: AccountKeyValue): Uint8Array =>
  encode((w) => {
    writeU64(w, v.epoch);
    w.opaque('u8', v.publicKey);
  });

export const decodeAccountKeyValue = (bytes: Uint8Array): AccountKeyValue =>
  decode(bytes, (r) => ({ epoch: readU64(r, MAX_TIMESTAMP, 'epoch'), publicKey: r.opaque('u8') }));

/** Value of a device-list label: the list's version and the SHA-256 of its signed encoding. */
export interface DeviceListValue {
  readonly version: number;
  readonly hash: Uint8Array;
}

export const encodeDeviceListValue = (v: DeviceListValue): Uint8Array => {
  if (v.hash.length !== HASH_LENGTH)
    throw new KeyTransError('MISUSE', 'device-list hash must be 32 bytes');
  return encode((w) => {
    w.uint32(v.version);
    w.bytes(v.hash);
  });
};

export const decodeDeviceListValue = (bytes: Uint8Array): DeviceListValue =>
  decode(bytes, (r) => ({ version: r.uint32(), hash: r.bytes(HASH_LENGTH) }));
