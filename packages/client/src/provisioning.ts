/**
 * Linking a device. The new device opens a provisioning channel at the relay and shows a code
 * (as text and QR): the channel id, an ephemeral X25519 public key, its own identity key and
 * its MLS signature public key.
 * The primary, given the code out of band, encrypts to that ephemeral key what the new device
 * needs (account id, username, account public key, a single-use link token, and a reply
 * channel with an ephemeral key of its own) with XChaCha20-Poly1305 under HKDF(X25519), and
 * leaves it in the channel. Once joined, the new device answers on the reply channel, sealed
 * the same way, with the device id it got. Both sides wait with long polls, never busy polling.
 * Because the code carries the new device's identity key, the primary signs exactly that key
 * into the device list. The message may also carry a pointer to the primary's history
 * (`link-history.ts`): its key and digests travel only inside this sealed channel.
 */
import {
  concatBytes,
  fromBase64,
  fromBase64Url,
  toBase64,
  toBase64Url,
  utf8Decode,
  utf8Encode,
} from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { attachmentOf, type AttachmentPointer } from './content.js';
import { ClientError } from './errors.js';

/** Why a primary sent no history: a relay or SDK code (`A_CODE`, at most 40 characters). */
export const HISTORY_CODE = /^[A-Z_]{1,40}$/;

const INFO = utf8Encode('parley provisioning v1');
const NONCE_BYTES = 24;
const X25519_BYTES = 32;
const IDENTITY_KEY_BYTES = 33;
const MLS_SIGNATURE_KEY_BYTES = 32;
const AEAD = 'xchacha20-poly1305';

export interface LinkCode {
  readonly channelId: string;
  readonly ephemeralKey: Uint8Array;
  /** The new device's identity key, 33-byte form. */
  readonly identityKey: Uint8Array;
  /** The new device's MLS signature public key (Ed25519), signed into the list with it. */
  readonly mlsSignatureKey?: Uint8Array;
}

export interface ProvisioningPayload {
  readonly accountId: string;
  readonly username: string;
  /** The account public key, 33-byte form, base64. */
  readonly accountKey: string;
  readonly linkToken: string;
  /** Where the new device answers: the primary's channel and ephemeral X25519 key (base64). */
  readonly reply?: { readonly channelId: string; readonly key: string };
  /** The primary's conversations, uploaded as an attachment (`link-history.ts`). */
  readonly history?: AttachmentPointer;
  /** Why the primary sent no history although it had one (`HISTORY_CODE`; older devices ignore it). */
  readonly historyNotSent?: string;
}

/** The new device's answer on the reply channel. */
export interface LinkReply {
  readonly accountId: string;
  readonly deviceId: number;
}

export function formatLinkCode(c: LinkCode): string {
  const mls = c.mlsSignatureKey === undefined ? '' : `.${toBase64Url(c.mlsSignatureKey)}`;
  return `${c.channelId}.${toBase64Url(c.ephemeralKey)}.${toBase64Url(c.identityKey)}${mls}`;
}

export function parseLinkCode(code: string): LinkCode {
  const parts = code.trim().split('.');
  try {
    const [channelId, eph, id, mls] = parts;
    if (
      (parts.length !== 3 && parts.length !== 4) ||
      channelId === undefined ||
      eph === undefined ||
      id === undefined
    )
      throw new Error('parts');
    const ephemeralKey = fromBase64Url(eph);
    const identityKey = fromBase64Url(id);
    if (ephemeralKey.length !== X25519_BYTES || identityKey.length !== IDENTITY_KEY_BYTES)
      throw new Error('lengths');
    if (mls === undefined) return { channelId, ephemeralKey, identityKey };
    const mlsSignatureKey = fromBase64Url(mls);
    if (mlsSignatureKey.length !== MLS_SIGNATURE_KEY_BYTES) throw new Error('lengths');
    return { channelId, ephemeralKey, identityKey, mlsSignatureKey };
  } catch {
    throw new ClientError('INVALID_INPUT', 'that is not a link code');
  }
}

function channelKey(p: Primitives, privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const shared = p.x25519.sharedSecret(privateKey, publicKey);
  const key = p.hkdf('sha256', shared, new Uint8Array(0), INFO, 32);
  shared.fill(0);
  return key;
}

/** Encrypts `value` to `ephemeralKey` for `channelId` (bound as associated data); base64. */
function seal(p: Primitives, channelId: string, ephemeralKey: Uint8Array, value: object): string {
  const eph = p.x25519.generateKeyPair();
  const key = channelKey(p, eph.privateKey, ephemeralKey);
  const nonce = p.randomBytes(NONCE_BYTES);
  const sealed = p.aead[AEAD].seal(
    key,
    nonce,
    utf8Encode(JSON.stringify({ v: 1, ...value })),
    utf8Encode(channelId),
  );
  key.fill(0);
  eph.privateKey.fill(0);
  return toBase64(concatBytes(eph.publicKey, nonce, sealed));
}

/** Opens what `seal` made for this channel and key; throws for anything else. */
function open(
  p: Primitives,
  channelId: string,
  ephemeralPrivateKey: Uint8Array,
  ciphertext: string,
): Record<string, unknown> {
  const bytes = fromBase64(ciphertext);
  const key = channelKey(p, ephemeralPrivateKey, bytes.subarray(0, X25519_BYTES));
  const plain = p.aead[AEAD].open(
    key,
    bytes.subarray(X25519_BYTES, X25519_BYTES + NONCE_BYTES),
    bytes.subarray(X25519_BYTES + NONCE_BYTES),
    utf8Encode(channelId),
  );
  key.fill(0);
  const v = JSON.parse(utf8Decode(plain)) as unknown;
  if (typeof v !== 'object' || v === null || (v as { v?: unknown }).v !== 1)
    throw new Error('shape');
  return v as Record<string, unknown>;
}

/** Encrypts the payload to the code's ephemeral key; base64 for the relay. */
export function sealProvisioning(
  p: Primitives,
  code: LinkCode,
  payload: ProvisioningPayload,
): string {
  return seal(p, code.channelId, code.ephemeralKey, payload);
}

/** Decrypts what the primary left; `INVALID_INPUT` for anything that does not open. */
export function openProvisioning(
  p: Primitives,
  channelId: string,
  ephemeralPrivateKey: Uint8Array,
  ciphertext: string,
): ProvisioningPayload {
  try {
    const v = open(p, channelId, ephemeralPrivateKey, ciphertext);
    const { accountId, username, accountKey, linkToken, reply } = v;
    const history = v['history'] === undefined ? undefined : attachmentOf(v['history']);
    if (v['history'] !== undefined && history === undefined) throw new Error('shape');
    const notSent = v['historyNotSent'];
    if (notSent !== undefined && (typeof notSent !== 'string' || !HISTORY_CODE.test(notSent)))
      throw new Error('shape');
    if (
      typeof accountId !== 'string' ||
      typeof username !== 'string' ||
      typeof accountKey !== 'string' ||
      typeof linkToken !== 'string'
    )
      throw new Error('shape');
    const r = reply as { channelId?: unknown; key?: unknown } | undefined;
    if (r !== undefined && (typeof r.channelId !== 'string' || typeof r.key !== 'string'))
      throw new Error('shape');
    return {
      accountId,
      username,
      accountKey,
      linkToken,
      ...(r !== undefined && { reply: { channelId: r.channelId as string, key: r.key as string } }),
      ...(history !== undefined && { history }),
      ...(notSent !== undefined && history === undefined && { historyNotSent: notSent }),
    };
  } catch {
    throw new ClientError('INVALID_INPUT', 'the provisioning message could not be opened');
  }
}

/** The new device's answer, sealed to the primary's reply key. */
export function sealLinkReply(
  p: Primitives,
  reply: { readonly channelId: string; readonly key: string },
  value: LinkReply,
): string {
  const key = fromBase64(reply.key);
  if (key.length !== X25519_BYTES)
    throw new ClientError('INVALID_INPUT', 'the primary sent a malformed reply key');
  return seal(p, reply.channelId, key, value);
}

/** Opens the new device's answer; `INVALID_INPUT` for anything that does not open. */
export function openLinkReply(
  p: Primitives,
  channelId: string,
  ephemeralPrivateKey: Uint8Array,
  ciphertext: string,
): LinkReply {
  try {
    const { accountId, deviceId } = open(p, channelId, ephemeralPrivateKey, ciphertext);
    if (typeof accountId !== 'string' || !Number.isSafeInteger(deviceId)) throw new Error('shape');
    return { accountId, deviceId: deviceId as number };
  } catch {
    throw new ClientError('INVALID_INPUT', "the new device's answer could not be opened");
  }
}
