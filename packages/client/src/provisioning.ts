/**
 * Linking a device. The new device opens a provisioning channel at the relay and shows a code
 * (as text and QR): the channel id, an ephemeral X25519 public key, its own identity key and
 * its MLS signature public key.
 * The primary, given the code out of band, encrypts to that ephemeral key what the new device
 * needs (account id, username, account public key, a single-use link token) with
 * XChaCha20-Poly1305 under HKDF(X25519), and leaves it in the channel. Because the code carries
 * the new device's identity key, the primary signs exactly that key into the device list.
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
import { ClientError } from './errors.js';

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

/** Encrypts the payload to the code's ephemeral key; base64 for the relay. */
export function sealProvisioning(
  p: Primitives,
  code: LinkCode,
  payload: ProvisioningPayload,
): string {
  const eph = p.x25519.generateKeyPair();
  const key = channelKey(p, eph.privateKey, code.ephemeralKey);
  const nonce = p.randomBytes(NONCE_BYTES);
  const sealed = p.aead[AEAD].seal(
    key,
    nonce,
    utf8Encode(JSON.stringify({ v: 1, ...payload })),
    utf8Encode(code.channelId),
  );
  key.fill(0);
  eph.privateKey.fill(0);
  return toBase64(concatBytes(eph.publicKey, nonce, sealed));
}

/** Decrypts what the primary left; `INVALID_INPUT` for anything that does not open. */
export function openProvisioning(
  p: Primitives,
  channelId: string,
  ephemeralPrivateKey: Uint8Array,
  ciphertext: string,
): ProvisioningPayload {
  try {
    const bytes = fromBase64(ciphertext);
    const key = channelKey(p, ephemeralPrivateKey, bytes.subarray(0, X25519_BYTES));
    const plain = p.aead[AEAD].open(
      key,
      bytes.subarray(X25519_BYTES, X25519_BYTES + NONCE_BYTES),
      bytes.subarray(X25519_BYTES + NONCE_BYTES),
      utf8Encode(channelId),
    );
    key.fill(0);
    const v = JSON.parse(utf8Decode(plain)) as Partial<ProvisioningPayload> & { v?: unknown };
    if (
      v.v !== 1 ||
      typeof v.accountId !== 'string' ||
      typeof v.username !== 'string' ||
      typeof v.accountKey !== 'string' ||
      typeof v.linkToken !== 'string'
    )
      throw new Error('shape');
    return {
      accountId: v.accountId,
      username: v.username,
      accountKey: v.accountKey,
      linkToken: v.linkToken,
    };
  } catch {
    throw new ClientError('INVALID_INPUT', 'the provisioning message could not be opened');
  }
}
