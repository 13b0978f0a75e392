/**
 * The account-signed device list (DESIGN §2). The account key signs, with XEdDSA, a versioned
 * list of (device id, device identity key, MLS signature key). A contact's device is used only
 * if it appears in a list that verifies under the contact's account key, with a version that
 * never goes back; an MLS leaf is accepted only with the signature key listed for its device.
 *
 * Wire form (the relay's opaque `blob`): UTF-8 JSON `{"payload": b64, "signature": b64}`, where
 * payload is UTF-8 JSON `{"v":2,"accountId","version","timestamp","devices":[{deviceId,
 * identityKey,mlsSignatureKey}]}` and the signature covers `"parley device list v1" ‖ 0x00 ‖
 * payload` (the domain string names the signing scheme, unchanged; `v` names the payload).
 * Format 1 (no `mlsSignatureKey`) still verifies: its devices simply cannot be group members.
 */
import { concatBytes, fromBase64, toBase64, utf8Decode, utf8Encode } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { ClientError } from './errors.js';
import { MAX_DEVICES_IN_LIST } from './limits.js';

const DOMAIN = concatBytes(utf8Encode('parley device list v1'), Uint8Array.of(0));
/** The payload format written; {@link READABLE_FORMATS} are accepted. */
export const DEVICE_LIST_FORMAT = 2;
const READABLE_FORMATS: readonly unknown[] = [1, 2];
const MAX_DEVICE_ID = 127;
const IDENTITY_KEY_BYTES = 33;
/** An Ed25519 public key (MLS cipher suite 1's signature scheme). */
const MLS_SIGNATURE_KEY_BYTES = 32;

export interface DeviceEntry {
  readonly deviceId: number;
  /** The device's identity key, 33-byte serialized form. */
  readonly identityKey: Uint8Array;
  /** The device's MLS signature public key (Ed25519); absent in format-1 lists. */
  readonly mlsSignatureKey?: Uint8Array;
}

export interface DeviceList {
  readonly accountId: string;
  readonly version: number;
  readonly timestamp: number;
  readonly devices: readonly DeviceEntry[];
}

/** Signs `list` with the account private key; returns the relay's `blob` (base64). */
export function signDeviceList(
  p: Primitives,
  accountPrivateKey: Uint8Array,
  list: DeviceList,
): string {
  const payload = utf8Encode(
    JSON.stringify({
      v: DEVICE_LIST_FORMAT,
      accountId: list.accountId,
      version: list.version,
      timestamp: list.timestamp,
      devices: list.devices.map((d) => ({
        deviceId: d.deviceId,
        identityKey: toBase64(d.identityKey),
        ...(d.mlsSignatureKey && { mlsSignatureKey: toBase64(d.mlsSignatureKey) }),
      })),
    }),
  );
  const signature = p.xeddsa.sign(accountPrivateKey, concatBytes(DOMAIN, payload));
  return toBase64(
    utf8Encode(JSON.stringify({ payload: toBase64(payload), signature: toBase64(signature) })),
  );
}

function untrusted(why: string): ClientError {
  return new ClientError('UNTRUSTED_DEVICES', `device list rejected: ${why}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Verifies a blob under `accountKey` (32-byte public key) for `accountId`, refusing a version
 * below `minVersion`. Throws `UNTRUSTED_DEVICES` naming the reason (never key material).
 */
export function verifyDeviceList(
  p: Primitives,
  accountKey: Uint8Array,
  accountId: string,
  blob: string,
  minVersion: number,
): DeviceList {
  let outer: unknown;
  let payload: Uint8Array;
  let signature: Uint8Array;
  try {
    outer = JSON.parse(utf8Decode(fromBase64(blob)));
    if (
      !isRecord(outer) ||
      typeof outer['payload'] !== 'string' ||
      typeof outer['signature'] !== 'string'
    )
      throw untrusted('malformed');
    payload = fromBase64(outer['payload']);
    signature = fromBase64(outer['signature']);
  } catch {
    throw untrusted('malformed');
  }
  if (!p.xeddsa.verify(accountKey, concatBytes(DOMAIN, payload), signature)) {
    throw untrusted('signature does not verify under the account key');
  }
  let body: unknown;
  try {
    body = JSON.parse(utf8Decode(payload));
  } catch {
    throw untrusted('malformed');
  }
  if (
    !isRecord(body) ||
    !READABLE_FORMATS.includes(body['v']) ||
    typeof body['version'] !== 'number' ||
    !Number.isSafeInteger(body['version']) ||
    typeof body['timestamp'] !== 'number' ||
    !Array.isArray(body['devices'])
  ) {
    throw untrusted('malformed');
  }
  if (body['accountId'] !== accountId) throw untrusted('it belongs to another account');
  const version = body['version'];
  if (version < minVersion) throw untrusted('its version went backwards');
  const raw: unknown[] = body['devices'];
  if (raw.length > MAX_DEVICES_IN_LIST) throw untrusted('too many devices');
  const devices: DeviceEntry[] = [];
  const ids = new Set<number>();
  for (const d of raw) {
    if (!isRecord(d) || typeof d['deviceId'] !== 'number' || typeof d['identityKey'] !== 'string')
      throw untrusted('malformed');
    const deviceId = d['deviceId'];
    if (
      !Number.isInteger(deviceId) ||
      deviceId < 1 ||
      deviceId > MAX_DEVICE_ID ||
      ids.has(deviceId)
    )
      throw untrusted('bad device id');
    ids.add(deviceId);
    const identityKey = fromBase64(d['identityKey']);
    if (identityKey.length !== IDENTITY_KEY_BYTES) throw untrusted('bad device key');
    const mls = d['mlsSignatureKey'];
    if (mls === undefined) {
      devices.push({ deviceId, identityKey });
      continue;
    }
    if (typeof mls !== 'string' || body['v'] === 1) throw untrusted('malformed');
    const mlsSignatureKey = fromBase64(mls);
    if (mlsSignatureKey.length !== MLS_SIGNATURE_KEY_BYTES) throw untrusted('bad device key');
    devices.push({ deviceId, identityKey, mlsSignatureKey });
  }
  return { accountId, version, timestamp: body['timestamp'], devices };
}
