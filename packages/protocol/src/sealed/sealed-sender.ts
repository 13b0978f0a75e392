/**
 * Sealed sender as an app uses it: encrypt on the session, wrap the result with a sender
 * certificate, seal it (v1 for one device, v2 for many); on receipt, open the envelope, check
 * that the certificate's identity key is the one that sealed it, check the certificate chain
 * against the trust root and its expiry, refuse a message from ourselves, then decrypt on the
 * session. Decryption is compute-then-commit like the rest of the package: nothing is written
 * until the caller commits the returned changes, and a refusal changes nothing.
 */
import { constantTimeEqual } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { ProtocolError } from '../errors.js';
import { addressKey, checkAddress, type ProtocolAddress } from '../address.js';
import type { IdentityKeyPair, PublicKey } from '../keys.js';
import { decrypt, encrypt, type Computed, type ProtocolContext } from '../session-cipher.js';
import { validateSenderCertificate, type SenderCertificate } from './certificates.js';
import {
  createContent,
  parseContent,
  SealedContentType,
  type UnidentifiedSenderMessageContent,
} from './content.js';
import { openV1, parseV1, sealV1, SEALED_SENDER_V1_VERSION_BYTE } from './sealed-v1.js';
import { openV2, parseV2, sealV2, type V2Recipient } from './sealed-v2.js';

/** Envelope types of 1:1 messages. */
const ENVELOPE_WHISPER = 2;
const ENVELOPE_PREKEY = 3;

async function recipientIdentity(
  ctx: ProtocolContext,
  remote: ProtocolAddress,
): Promise<PublicKey> {
  const key = await ctx.stores.identity.getIdentity(remote);
  if (key === undefined) throw new ProtocolError('NO_SESSION', 'no identity for recipient');
  return key;
}

/** Seals a ready USMC to one device (v1), under the identity key the store holds for it. */
export async function sealedSenderEncryptContent(
  ctx: ProtocolContext,
  remote: ProtocolAddress,
  content: UnidentifiedSenderMessageContent,
): Promise<Uint8Array> {
  checkAddress(remote);
  const us = await ctx.stores.identity.getIdentityKeyPair();
  return sealV1(ctx.primitives, us, await recipientIdentity(ctx, remote), content.serialized);
}

/**
 * Encrypts `plaintext` on the session with `remote` and seals it (v1) with `certificate`.
 * Returns the sealed bytes and the session changes to commit.
 */
export async function sealedSenderEncrypt(
  ctx: ProtocolContext,
  remote: ProtocolAddress,
  certificate: SenderCertificate,
  plaintext: Uint8Array,
  now: number,
  options: { readonly contentHint?: number; readonly groupId?: Uint8Array } = {},
): Promise<Computed<Uint8Array>> {
  const encrypted = await encrypt(ctx, remote, plaintext, now);
  const content = createContent({
    type:
      encrypted.output.type === ENVELOPE_PREKEY
        ? SealedContentType.PreKey
        : SealedContentType.Whisper,
    senderCertificate: certificate,
    content: encrypted.output.serialized,
    contentHint: options.contentHint,
    groupId: options.groupId,
  });
  return {
    output: await sealedSenderEncryptContent(ctx, remote, content),
    changes: encrypted.changes,
  };
}

/**
 * Seals one USMC for many devices (v2, sent form). Adjacent devices of one account that share an
 * identity key (libsignal's accounts) go in one recipient entry; a device with a key of its own
 * (every Parley device) gets an entry of its own, the account named again: the Parley relay gives
 * each device its own entry's key material (libsignal's parser would keep the first entry's).
 * Each device needs a session (for its registration id) and a stored identity key.
 */
export async function sealedSenderMultiRecipientEncrypt(
  ctx: ProtocolContext,
  destinations: readonly ProtocolAddress[],
  content: UnidentifiedSenderMessageContent,
  excluded: readonly string[] = [],
): Promise<Uint8Array> {
  const recipients: V2Recipient[] = [];
  let current:
    | {
        serviceId: string;
        identityKey: PublicKey;
        devices: { deviceId: number; registrationId: number }[];
      }
    | undefined;
  for (const destination of destinations) {
    checkAddress(destination);
    const record = await ctx.stores.sessions.loadSession(destination);
    const state = record?.current;
    if (state === undefined) throw new ProtocolError('NO_SESSION', 'no session with a recipient');
    const identityKey = await recipientIdentity(ctx, destination);
    if (
      current === undefined ||
      current.serviceId !== destination.name ||
      !constantTimeEqual(current.identityKey, identityKey)
    ) {
      current = { serviceId: destination.name, identityKey, devices: [] };
      recipients.push(current);
    }
    current.devices.push({
      deviceId: destination.deviceId,
      registrationId: state.remoteRegistrationId,
    });
  }
  const us = await ctx.stores.identity.getIdentityKeyPair();
  return sealV2(ctx.primitives, us, recipients, content.serialized, excluded);
}

/**
 * Opens a sealed envelope (v1, or a received v2 message) with our identity key and returns its
 * content, after checking that the certificate inside names the identity key that sealed it
 * (`SENDER_MISMATCH` otherwise). Does not check the certificate chain.
 */
export function sealedSenderDecryptToContent(
  p: Primitives,
  us: IdentityKeyPair,
  sealed: Uint8Array,
): UnidentifiedSenderMessageContent {
  const version = sealed[0];
  if (version === undefined) throw new ProtocolError('INVALID_MESSAGE', 'sealed sender: empty');
  // libsignal dispatches on the high nibble (the required version). We write only 0x11 and
  // 0x22/0x23, and so does libsignal; any other byte, including a major version 0, is refused.
  if (version === SEALED_SENDER_V1_VERSION_BYTE) {
    const opened = openV1(p, us, parseV1(sealed.subarray(1)));
    const content = parseContent(opened.content);
    if (!constantTimeEqual(opened.senderKey, content.senderCertificate.identityKey)) {
      throw new ProtocolError('SENDER_MISMATCH', 'certificate key is not the sealing key');
    }
    return content;
  }
  if (version >> 4 === 2 && (version & 0x0f) >= 2 && (version & 0x0f) <= 3) {
    const opened = openV2(p, us, parseV2(sealed.subarray(1)));
    const content = parseContent(opened.content);
    if (!opened.senderMatches(content.senderCertificate.identityKey)) {
      throw new ProtocolError('SENDER_MISMATCH', 'certificate key is not the sealing key');
    }
    return content;
  }
  throw new ProtocolError('INVALID_MESSAGE', 'sealed sender: unknown version');
}

export interface SealedSenderResult {
  readonly sender: ProtocolAddress;
  readonly senderE164: string | undefined;
  readonly plaintext: Uint8Array;
  readonly content: UnidentifiedSenderMessageContent;
}

export interface SealedSenderDecryptOptions {
  /** The deployment's pinned trust root(s). */
  readonly trustRoot: PublicKey | readonly PublicKey[];
  /** Time of validation, ms since the epoch. */
  readonly now: number;
}

/**
 * Opens and checks a sealed envelope, then decrypts its 1:1 message on the session with the
 * certified sender. Refusals: `INVALID_MESSAGE` (framing), `DECRYPTION_FAILED` (envelope),
 * `SENDER_MISMATCH`, `INVALID_CERTIFICATE`, `CERTIFICATE_EXPIRED`, `SEALED_SENDER_SELF_SEND`,
 * then whatever the session decryption refuses. Sender-key and plaintext contents are
 * refused here (`INVALID_MESSAGE`): open those with {@link sealedSenderDecryptToContent}.
 */
export async function sealedSenderDecrypt(
  ctx: ProtocolContext,
  sealed: Uint8Array,
  options: SealedSenderDecryptOptions,
): Promise<Computed<SealedSenderResult>> {
  const us = await ctx.stores.identity.getIdentityKeyPair();
  const content = sealedSenderDecryptToContent(ctx.primitives, us, sealed);
  const certificate = content.senderCertificate;
  validateSenderCertificate(ctx.primitives, certificate, options.trustRoot, options.now);
  const sender: ProtocolAddress = {
    name: certificate.senderUuid,
    deviceId: certificate.senderDeviceId,
  };
  if (addressKey(sender) === addressKey(ctx.localAddress)) {
    throw new ProtocolError('SEALED_SENDER_SELF_SEND', 'sealed message from this device');
  }
  let type: number;
  if (content.type === SealedContentType.PreKey) type = ENVELOPE_PREKEY;
  else if (content.type === SealedContentType.Whisper) type = ENVELOPE_WHISPER;
  else throw new ProtocolError('INVALID_MESSAGE', 'sealed sender: not a 1:1 message');
  const decrypted = await decrypt(ctx, sender, type, content.content);
  return {
    output: { sender, senderE164: certificate.senderE164, plaintext: decrypted.output, content },
    changes: decrypted.changes,
  };
}
