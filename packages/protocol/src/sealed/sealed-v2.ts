/**
 * Sealed sender v2: one encryption of the content for many recipients (libsignal's
 * multi-recipient sealed sender, a randomness-reuse KEM).
 *
 * ```text
 * M ← 32 random bytes;  prk = HKDF-Extract(∅, M)
 * r = Expand(prk, "Sealed Sender v2: r (2023-08)", 32);  E = X25519(r)
 * K = Expand(prk, "Sealed Sender v2: K", 32)
 * per recipient R:  C  = HKDF(DH(E, R) ‖ E(33) ‖ R(33), "Sealed Sender v2: DH", 32) ⊕ M
 *                   AT = HKDF(DH(S, R) ‖ E(33) ‖ C ‖ S(33) ‖ R(33), "Sealed Sender v2: DH-sender", 16)
 * body = AES-256-GCM-SIV(K, nonce = 12 zero bytes, USMC)   (ciphertext ‖ 16-byte tag)
 * ```
 *
 * The **sent** form goes to the relay, which fans it out:
 * `0x23 ‖ varint n ‖ n × (ServiceId(17) ‖ devices ‖ C ‖ AT | ServiceId(17) ‖ 0x00) ‖ E(32) ‖ body`,
 * where each device is `id(1) ‖ BE16(has_more << 15 | registration id (14 bits))`. (`0x22`, the
 * older form, names recipients by a bare 16-byte ACI UUID.) Each device **receives**
 * `0x22 ‖ C ‖ AT ‖ E(32) ‖ body`.
 */
import { concatBytes, constantTimeEqual, utf8Encode } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { serviceIdFixedWidth, serviceIdFromFixedWidth, uuidString } from '../address.js';
import { CURVE25519_KEY_LENGTH } from '../constants.js';
import { decryptionFailed, ProtocolError } from '../errors.js';
import {
  agree,
  asPublicKey,
  serializePublicKey,
  type IdentityKeyPair,
  type PrivateKey,
  type PublicKey,
} from '../keys.js';
import {
  MAX_DEVICE_ID,
  MAX_MESSAGE_BYTES,
  MAX_SEALED_SENDER_V2_RECIPIENTS,
  MAX_SEALED_SENDER_V2_SENT_BYTES,
  MIN_DEVICE_ID,
} from '../limits.js';
import { identityAgreement } from './static-agreements.js';

/** Version byte of a received v2 message (unchanged since the UUID-only sent form). */
export const SEALED_SENDER_V2_RECEIVED_VERSION_BYTE = 0x22;
/** Version byte of the sent form that names recipients by UUID (ACI only). */
export const SEALED_SENDER_V2_UUID_VERSION_BYTE = 0x22;
/** Version byte of the sent form that names recipients by ServiceId; what we write. */
export const SEALED_SENDER_V2_SERVICE_ID_VERSION_BYTE = 0x23;

const LABEL_R = utf8Encode('Sealed Sender v2: r (2023-08)');
const LABEL_K = utf8Encode('Sealed Sender v2: K');
const LABEL_DH = utf8Encode('Sealed Sender v2: DH');
const LABEL_DH_SENDER = utf8Encode('Sealed Sender v2: DH-sender');
const NO_SALT = new Uint8Array(0);
const ZERO_NONCE = new Uint8Array(12);

const MESSAGE_KEY_LENGTH = 32;
const AUTH_TAG_LENGTH = 16;
const SERVICE_ID_LENGTH = 17;
const UUID_LENGTH = 16;
const KEY_MATERIAL_LENGTH = MESSAGE_KEY_LENGTH + AUTH_TAG_LENGTH;
const GCM_SIV_TAG_LENGTH = 16;
/** Registration ids fit in 14 bits (libsignal `VALID_REGISTRATION_ID_MASK`). */
const REGISTRATION_ID_MASK = 0x3fff;
const HAS_MORE = 0x8000;
/** Largest varint a recipient count may take (5 bytes hold 32 bits). */
const MAX_COUNT_VARINT_BYTES = 5;

interface Derived {
  readonly e: { readonly privateKey: PrivateKey; readonly publicKey: PublicKey };
  readonly k: Uint8Array;
}

function deriveFromM(p: Primitives, m: Uint8Array): Derived {
  const prk = p.hkdfExtract('sha256', NO_SALT, m);
  const r = p.hkdfExpand('sha256', prk, LABEL_R, 32) as PrivateKey;
  const k = p.hkdfExpand('sha256', prk, LABEL_K, 32);
  return { e: { privateKey: r, publicKey: asPublicKey(p.x25519.publicKey(r)) }, k };
}

function xorWithAgreement(
  p: Primitives,
  dh: Uint8Array,
  ephemeral: PublicKey,
  recipient: PublicKey,
  input: Uint8Array,
): Uint8Array {
  const ikm = concatBytes(dh, serializePublicKey(ephemeral), serializePublicKey(recipient));
  const out = p.hkdf('sha256', ikm, NO_SALT, LABEL_DH, MESSAGE_KEY_LENGTH);
  for (let i = 0; i < MESSAGE_KEY_LENGTH; i++) out[i] = (out[i] ?? 0) ^ (input[i] ?? 0);
  return out;
}

function authenticationTag(
  p: Primitives,
  dh: Uint8Array,
  ephemeral: PublicKey,
  c: Uint8Array,
  sender: PublicKey,
  recipient: PublicKey,
): Uint8Array {
  const ikm = concatBytes(
    dh,
    serializePublicKey(ephemeral),
    c,
    serializePublicKey(sender),
    serializePublicKey(recipient),
  );
  return p.hkdf('sha256', ikm, NO_SALT, LABEL_DH_SENDER, AUTH_TAG_LENGTH);
}

export interface V2Device {
  readonly deviceId: number;
  /** The device's registration id, as its session records it (14 bits). */
  readonly registrationId: number;
}

export interface V2Recipient {
  /** A ServiceId string: a UUID (ACI) or `PNI:` UUID. */
  readonly serviceId: string;
  readonly identityKey: PublicKey;
  /** At least one device. */
  readonly devices: readonly V2Device[];
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

function fixedWidth(serviceId: string): Uint8Array {
  const bytes = serviceIdFixedWidth(serviceId);
  if (bytes === undefined) throw new ProtocolError('MISUSE', 'recipient is not a ServiceId');
  return bytes;
}

/**
 * Seals serialized USMC bytes once for every recipient: the sent form (`0x23`) for the relay.
 * `excluded` lists ServiceIds written with no devices (recipients the relay should skip
 * without an error, as libsignal's excluded recipients).
 */
export function sealV2(
  p: Primitives,
  sender: IdentityKeyPair,
  recipients: readonly V2Recipient[],
  content: Uint8Array,
  excluded: readonly string[] = [],
): Uint8Array {
  if (content.length > MAX_MESSAGE_BYTES) throw new ProtocolError('MISUSE', 'content too long');
  const count = recipients.length + excluded.length;
  if (count > MAX_SEALED_SENDER_V2_RECIPIENTS)
    throw new ProtocolError('MISUSE', 'too many recipients');
  const m = p.randomBytes(MESSAGE_KEY_LENGTH);
  const { e, k } = deriveFromM(p, m);
  const body = p.aead['aes-gcm-siv'].seal(k, ZERO_NONCE, content);
  const parts: Uint8Array[] = [
    Uint8Array.of(SEALED_SENDER_V2_SERVICE_ID_VERSION_BYTE),
    varint(count),
  ];
  for (const recipient of recipients) {
    if (recipient.devices.length === 0)
      throw new ProtocolError('MISUSE', 'recipient without devices');
    parts.push(fixedWidth(recipient.serviceId));
    recipient.devices.forEach((device, i) => {
      const { deviceId, registrationId } = device;
      if (!Number.isInteger(deviceId) || deviceId < MIN_DEVICE_ID || deviceId > MAX_DEVICE_ID) {
        throw new ProtocolError('MISUSE', 'device id out of range');
      }
      if (
        !Number.isInteger(registrationId) ||
        (registrationId & REGISTRATION_ID_MASK) !== registrationId
      ) {
        throw new ProtocolError('MISUSE', 'registration id out of range');
      }
      const word = registrationId | (i < recipient.devices.length - 1 ? HAS_MORE : 0);
      parts.push(Uint8Array.of(deviceId, word >> 8, word & 0xff));
    });
    const c = xorWithAgreement(
      p,
      agree(p, e.privateKey, recipient.identityKey),
      e.publicKey,
      recipient.identityKey,
      m,
    );
    const at = authenticationTag(
      p,
      identityAgreement(p, sender.privateKey, recipient.identityKey),
      e.publicKey,
      c,
      sender.publicKey,
      recipient.identityKey,
    );
    parts.push(c, at);
  }
  for (const serviceId of excluded) parts.push(fixedWidth(serviceId), Uint8Array.of(0));
  parts.push(e.publicKey, body);
  m.fill(0);
  k.fill(0);
  e.privateKey.fill(0);
  return concatBytes(...parts);
}

export interface SentRecipient {
  readonly serviceId: string;
  /** Empty for an excluded recipient. */
  readonly devices: readonly V2Device[];
  /** C ‖ AT, or empty for an excluded recipient. */
  readonly keyMaterial: Uint8Array;
}

export interface SentMessage {
  readonly version: number;
  /** In order of first appearance; a recipient named twice has its devices merged. */
  readonly recipients: readonly SentRecipient[];
  /** E ‖ body: what every recipient shares. */
  readonly shared: Uint8Array;
}

function invalidSent(what: string): ProtocolError {
  return new ProtocolError('INVALID_MESSAGE', `sealed sender v2 sent message: ${what}`);
}

/**
 * Parses a sent (multi-recipient) message as the relay must before fanning it out. Checks
 * framing only: the relay cannot and does not check the cryptography.
 */
export function parseSentMessage(bytes: Uint8Array): SentMessage {
  if (bytes.length > MAX_SEALED_SENDER_V2_SENT_BYTES) throw invalidSent('too long');
  const version = bytes[0];
  if (
    version !== SEALED_SENDER_V2_UUID_VERSION_BYTE &&
    version !== SEALED_SENDER_V2_SERVICE_ID_VERSION_BYTE
  ) {
    throw invalidSent('unknown version');
  }
  let offset = 1;
  const take = (n: number): Uint8Array => {
    if (bytes.length - offset < n) throw invalidSent('truncated');
    const out = bytes.subarray(offset, offset + n);
    offset += n;
    return out;
  };
  let count = 0;
  for (let i = 0; ; i++) {
    if (i >= MAX_COUNT_VARINT_BYTES) throw invalidSent('bad count');
    const b = take(1)[0] ?? 0;
    count += (b & 0x7f) * 128 ** i;
    if (b < 0x80) break;
  }
  if (count > MAX_SEALED_SENDER_V2_RECIPIENTS) throw invalidSent('too many recipients');
  const byId = new Map<string, { devices: V2Device[]; keyMaterial: Uint8Array }>();
  for (let n = 0; n < count; n++) {
    const serviceId =
      version === SEALED_SENDER_V2_UUID_VERSION_BYTE
        ? uuidString(take(UUID_LENGTH))
        : serviceIdFromFixedWidth(take(SERVICE_ID_LENGTH));
    if (serviceId === undefined) throw invalidSent('bad ServiceId');
    const devices: V2Device[] = [];
    for (;;) {
      const deviceId = take(1)[0] ?? 0;
      if (deviceId === 0) {
        if (devices.length > 0) throw invalidSent('bad device list');
        break;
      }
      if (deviceId > MAX_DEVICE_ID) throw invalidSent('bad device id');
      const word = ((take(1)[0] ?? 0) << 8) | (take(1)[0] ?? 0);
      devices.push({ deviceId, registrationId: word & REGISTRATION_ID_MASK });
      if ((word & HAS_MORE) === 0) break;
    }
    const keyMaterial = devices.length === 0 ? new Uint8Array(0) : take(KEY_MATERIAL_LENGTH);
    const existing = byId.get(serviceId);
    if (existing === undefined) {
      byId.set(serviceId, { devices, keyMaterial });
    } else {
      if (existing.devices.length === 0 || devices.length === 0) {
        throw invalidSent('recipient redundantly encoded as empty');
      }
      existing.devices.push(...devices);
    }
  }
  if (bytes.length - offset < CURVE25519_KEY_LENGTH) throw invalidSent('truncated');
  return {
    version,
    recipients: [...byId].map(([serviceId, r]) => ({ serviceId, ...r })),
    shared: bytes.subarray(offset),
  };
}

/** The received form of a sent message for one of its recipients: `0x22 ‖ C ‖ AT ‖ E ‖ body`. */
export function receivedMessageFor(sent: SentMessage, recipient: SentRecipient): Uint8Array {
  return concatBytes(
    Uint8Array.of(SEALED_SENDER_V2_RECEIVED_VERSION_BYTE),
    recipient.keyMaterial,
    sent.shared,
  );
}

export interface ParsedV2 {
  readonly c: Uint8Array;
  readonly at: Uint8Array;
  readonly ephemeral: PublicKey;
  readonly body: Uint8Array;
}

/** Parses the bytes after a received message's version byte. */
export function parseV2(rest: Uint8Array): ParsedV2 {
  const prefix = KEY_MATERIAL_LENGTH + CURVE25519_KEY_LENGTH;
  if (rest.length < prefix)
    throw new ProtocolError('INVALID_MESSAGE', 'sealed sender v2: truncated');
  return {
    c: rest.slice(0, MESSAGE_KEY_LENGTH),
    at: rest.slice(MESSAGE_KEY_LENGTH, KEY_MATERIAL_LENGTH),
    ephemeral: asPublicKey(rest.slice(KEY_MATERIAL_LENGTH, prefix)),
    body: rest.subarray(prefix),
  };
}

/**
 * Opens a received v2 message with our identity key pair: recovers M, checks that it derives
 * the ephemeral key the message carries, decrypts the body (`DECRYPTION_FAILED` otherwise), and
 * returns the USMC bytes with a check of the sender key that the caller runs once it has read
 * the certificate's identity key (libsignal parses the content before checking the tag).
 */
export function openV2(
  p: Primitives,
  us: IdentityKeyPair,
  message: ParsedV2,
): { content: Uint8Array; senderMatches(senderKey: PublicKey): boolean } {
  if (message.body.length < GCM_SIV_TAG_LENGTH) throw decryptionFailed();
  let m: Uint8Array;
  try {
    m = xorWithAgreement(
      p,
      agree(p, us.privateKey, message.ephemeral, 'long-lived'),
      message.ephemeral,
      us.publicKey,
      message.c,
    );
  } catch {
    throw decryptionFailed();
  }
  const { e, k } = deriveFromM(p, m);
  m.fill(0);
  e.privateKey.fill(0);
  if (!constantTimeEqual(e.publicKey, message.ephemeral)) throw decryptionFailed();
  let content: Uint8Array;
  try {
    content = p.aead['aes-gcm-siv'].open(k, ZERO_NONCE, message.body);
  } catch {
    throw decryptionFailed();
  } finally {
    k.fill(0);
  }
  return {
    content,
    senderMatches(senderKey) {
      let dh: Uint8Array;
      try {
        dh = identityAgreement(p, us.privateKey, senderKey);
      } catch {
        return false;
      }
      const expected = authenticationTag(
        p,
        dh,
        message.ephemeral,
        message.c,
        senderKey,
        us.publicKey,
      );
      return constantTimeEqual(expected, message.at);
    },
  };
}
