/**
 * The framing of a sealed sender v2 message as a sender posts it (libsignal's multi-recipient
 * "sent" form), read by the relay to fan it out. The relay checks structure only; it holds no key
 * and checks no cryptography (it imports no protocol code: blind by construction).
 *
 * ```text
 * sent     = version(0x23 | 0x22) ‖ varint n ‖ n × entry ‖ shared
 * entry    = ServiceId(17 bytes for 0x23; a bare 16-byte ACI UUID for 0x22)
 *            ‖ (device(1..6) ‖ BE16(has_more << 15 | registration id (14 bits)))+ ‖ C(32) ‖ AT(16)
 *          | ServiceId ‖ 0x00                          (an excluded recipient: no devices)
 * shared   = E(32) ‖ sealed body
 * received = 0x22 ‖ C ‖ AT ‖ shared                    (what each device gets)
 * ```
 *
 * Unlike libsignal's parser, which merges a ServiceId named twice and keeps its first key
 * material, each entry keeps its own key material and its devices receive it: Parley devices
 * have their own identity keys, so a sender seals to each device in an entry of its own (for
 * libsignal's messages, where an account's devices share one key, the result is the same).
 * A device named twice for one account is refused.
 */
import { limits } from '@parley/api';
import { concatBytes, toHex } from '@parley/bytes';
import { RelayError } from './errors.js';
import { MAX_SEALED_MULTI_FANOUT_BYTES } from './limits.js';

/** Version byte of the sent form naming recipients by 17-byte ServiceId (what libsignal writes). */
const SERVICE_ID_VERSION = 0x23;
/** Version byte of the older sent form naming recipients by bare ACI UUID. */
const UUID_VERSION = 0x22;
/** Version byte of what a device receives. */
const RECEIVED_VERSION = 0x22;
/** ServiceId kind byte of an ACI; a PNI (1) names no Parley account. */
const ACI_KIND = 0;
const UUID_BYTES = 16;
/** C (32) ‖ AT (16). */
const KEY_MATERIAL_BYTES = 48;
/** The ephemeral public key that starts the shared part. */
const EPHEMERAL_KEY_BYTES = 32;
const HAS_MORE = 0x8000;
const REGISTRATION_ID_MASK = 0x3fff;
/** A recipient count takes at most this many varint bytes (35 bits, far past any bound). */
const MAX_COUNT_VARINT_BYTES = 5;

/** One device's part of a multi-recipient message. */
export interface DevicePart {
  readonly deviceId: number;
  /** As the sender believes it (14 bits), compared with the device's like any send's. */
  readonly registrationId: number;
  /** The bytes the device receives: `0x22 ‖ C ‖ AT ‖ shared`. */
  readonly received: Uint8Array;
}

/** One recipient account and its devices' parts, in order of first appearance. */
export interface AccountParts {
  readonly accountId: string;
  readonly devices: readonly DevicePart[];
}

function malformed(what: string): RelayError {
  return new RelayError('INVALID_REQUEST', `malformed multi-recipient message: ${what}`);
}

/** The lowercase hyphenated UUID string (a relay account id) of 16 bytes. */
function uuid(bytes: Uint8Array): string {
  const h = toHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Splits a sent v2 message into each device's received form, grouped by account. Excluded
 * recipients (no devices) are left out. Throws `INVALID_REQUEST` on anything malformed: an
 * unknown version, a truncated or oversized message, a bad count, a PNI, a device id out of
 * range or named twice for one account, an account both excluded and not, no device at all, a
 * device's part past `MAX_CIPHERTEXT_BYTES` (what any envelope may hold), more than
 * `MAX_SEALED_MULTI_FANOUT_BYTES` to store in all.
 */
export function splitMultiRecipient(bytes: Uint8Array): AccountParts[] {
  if (bytes.length > limits.MAX_SEALED_MULTI_MESSAGE_BYTES) throw malformed('too long');
  const version = bytes[0];
  if (version !== SERVICE_ID_VERSION && version !== UUID_VERSION)
    throw malformed('unknown version');
  let offset = 1;
  const take = (n: number): Uint8Array => {
    if (bytes.length - offset < n) throw malformed('truncated');
    const out = bytes.subarray(offset, offset + n);
    offset += n;
    return out;
  };
  const byte = (): number => take(1)[0] ?? 0;

  let count = 0;
  for (let i = 0; ; i++) {
    if (i >= MAX_COUNT_VARINT_BYTES) throw malformed('bad count');
    const b = byte();
    count += (b & 0x7f) * 128 ** i;
    if (b < 0x80) break;
  }
  if (count === 0 || count > limits.MAX_SEALED_MULTI_ENTRIES) throw malformed('bad count');

  const entries: {
    accountId: string;
    devices: { deviceId: number; registrationId: number }[];
    keyMaterial: Uint8Array;
  }[] = [];
  const excluded = new Set<string>();
  const named = new Set<string>();
  for (let n = 0; n < count; n++) {
    if (version === SERVICE_ID_VERSION && byte() !== ACI_KIND) throw malformed('not an ACI');
    const accountId = uuid(take(UUID_BYTES));
    const devices: { deviceId: number; registrationId: number }[] = [];
    for (;;) {
      const deviceId = byte();
      if (deviceId === 0 && devices.length === 0) break;
      if (deviceId < 1 || deviceId > limits.MAX_DEVICE_ID) throw malformed('bad device id');
      const word = (byte() << 8) | byte();
      const key = `${accountId}.${String(deviceId)}`;
      if (named.has(key)) throw malformed('a device appears twice');
      named.add(key);
      devices.push({ deviceId, registrationId: word & REGISTRATION_ID_MASK });
      if ((word & HAS_MORE) === 0) break;
    }
    if (devices.length === 0) {
      excluded.add(accountId);
      continue;
    }
    entries.push({ accountId, devices, keyMaterial: take(KEY_MATERIAL_BYTES) });
  }
  if (bytes.length - offset <= EPHEMERAL_KEY_BYTES) throw malformed('truncated');
  if (entries.length === 0) throw malformed('no device');
  const shared = bytes.subarray(offset);
  if (1 + KEY_MATERIAL_BYTES + shared.length > limits.MAX_CIPHERTEXT_BYTES)
    throw malformed('body too long');
  const deviceCount = entries.reduce((sum, e) => sum + e.devices.length, 0);
  if (deviceCount * (1 + KEY_MATERIAL_BYTES + shared.length) > MAX_SEALED_MULTI_FANOUT_BYTES)
    throw malformed('too large to fan out');

  const accounts = new Map<string, DevicePart[]>();
  for (const e of entries) {
    if (excluded.has(e.accountId)) throw malformed('a recipient both excluded and not');
    let parts = accounts.get(e.accountId);
    if (parts === undefined) accounts.set(e.accountId, (parts = []));
    for (const d of e.devices)
      parts.push({
        ...d,
        received: concatBytes(Uint8Array.of(RECEIVED_VERSION), e.keyMaterial, shared),
      });
  }
  if (accounts.size > limits.MAX_SEALED_MULTI_ACCOUNTS) throw malformed('too many accounts');
  return [...accounts].map(([accountId, devices]) => ({ accountId, devices }));
}
