/**
 * The wire contract for sealed sender (issue 18), first part: the deployment's trust root,
 * published to anyone (clients pin it at registration), and short-lived sender certificates for
 * authenticated devices (libsignal's `SenderCertificate` encoding, signed by a server key that
 * the trust root certifies). A relay without sealed sender configured answers both with
 * `NOT_FOUND`. Second part: the owner registers its delivery token (the relay keeps its hash),
 * and anyone holding it may send sealed envelopes to the owner's devices without a session
 * credential (`sendSealed`): the relay stores them with no sender. Third part: one sealed sender
 * v2 message for the devices of several accounts (`sendSealedMulti`), fanned out by the relay.
 */
// The builder's functions one by one (not the `Type` object), so a bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import {
  DELIVERY_TOKEN_BYTES,
  MAX_CIPHERTEXT_BYTES,
  MAX_CLIENT_MESSAGE_ID_LENGTH,
  MAX_DEVICES_PER_ACCOUNT,
  MAX_SEALED_MULTI_ACCOUNTS,
  MAX_SEALED_MULTI_MESSAGE_BYTES,
  MAX_SENDER_CERTIFICATE_BYTES,
  SEALED_SENDER_TRUST_ROOT_BYTES,
} from './limits.js';
import { Base64, DeviceId, Id, RegistrationId, Timestamp } from './schemas.js';
import type { RouteSpec } from './routes.js';

const strict = { additionalProperties: false } as const;

export const TrustRootResponse = Type.Object(
  {
    /** `0x05 ‖ 32 bytes`: the Curve25519 trust root that signs the server certificate. */
    trustRoot: Base64(SEALED_SENDER_TRUST_ROOT_BYTES, SEALED_SENDER_TRUST_ROOT_BYTES),
  },
  strict,
);
export type TrustRootResponse = Static<typeof TrustRootResponse>;

export const SenderCertificateResponse = Type.Object(
  {
    /** A serialized `SenderCertificate` naming the calling device and its identity key. */
    certificate: Base64(MAX_SENDER_CERTIFICATE_BYTES),
    /** When it expires (ms since the epoch); fetch a new one before then. */
    expiresAt: Timestamp,
  },
  strict,
);
export type SenderCertificateResponse = Static<typeof SenderCertificateResponse>;

/** A delivery token (`DELIVERY_TOKEN_BYTES`), base64. */
export const DeliveryToken = Base64(DELIVERY_TOKEN_BYTES, DELIVERY_TOKEN_BYTES);

export const PutDeliveryTokenRequest = Type.Object({ deliveryToken: DeliveryToken }, strict);
export type PutDeliveryTokenRequest = Static<typeof PutDeliveryTokenRequest>;

/** One sealed envelope for one device of the recipient (the type is always sealed sender). */
export const SealedDestination = Type.Object(
  {
    deviceId: DeviceId,
    /** The registration id the sender believes the device has; a mismatch means stale. */
    registrationId: RegistrationId,
    /** A sealed sender v1 message (`0x11 ‖ …`), opaque to the relay. */
    content: Base64(MAX_CIPHERTEXT_BYTES),
  },
  strict,
);
export type SealedDestination = Static<typeof SealedDestination>;

/**
 * An unauthenticated send: one sealed envelope per device of one account, admitted by that
 * account's delivery token. `clientMessageId` is the sender's random id, passed to the recipient
 * (the relay does not deduplicate sealed sends: it has no sender to key them by).
 */
export const SealedSendRequest = Type.Object(
  {
    accountId: Id,
    deliveryToken: DeliveryToken,
    clientMessageId: Type.String({ minLength: 1, maxLength: MAX_CLIENT_MESSAGE_ID_LENGTH }),
    destinations: Type.Array(SealedDestination, {
      minItems: 1,
      maxItems: MAX_DEVICES_PER_ACCOUNT,
    }),
    /** A disappearing message's expiry (ms), as on the authenticated send. */
    expiresAt: Type.Optional(Timestamp),
  },
  strict,
);
export type SealedSendRequest = Static<typeof SealedSendRequest>;

export const SealedSendResponse = Type.Object({ serverTimestamp: Timestamp }, strict);
export type SealedSendResponse = Static<typeof SealedSendResponse>;

/** One recipient account of a multi-recipient send and its delivery token. */
export const RecipientToken = Type.Object({ accountId: Id, deliveryToken: DeliveryToken }, strict);
export type RecipientToken = Static<typeof RecipientToken>;

/**
 * An unauthenticated multi-recipient send: one sealed sender v2 message in libsignal's sent form
 * (`0x23`, or `0x22` naming recipients by bare UUID) and the delivery token of every account it
 * names. The relay checks the framing (not the cryptography), every token, every account's
 * devices and queues, then stores each device its own received form (`0x22 ‖ C ‖ AT ‖ shared`);
 * any refusal stores nothing. A recipient entry with no devices (libsignal's excluded
 * recipient) is skipped and needs no token. Each device takes the key material of its own entry:
 * Parley devices have their own identity keys, so a sender names an account once per device.
 */
export const SealedMultiSendRequest = Type.Object(
  {
    message: Base64(MAX_SEALED_MULTI_MESSAGE_BYTES),
    tokens: Type.Array(RecipientToken, { minItems: 1, maxItems: MAX_SEALED_MULTI_ACCOUNTS }),
    clientMessageId: Type.String({ minLength: 1, maxLength: MAX_CLIENT_MESSAGE_ID_LENGTH }),
    expiresAt: Type.Optional(Timestamp),
  },
  strict,
);
export type SealedMultiSendRequest = Static<typeof SealedMultiSendRequest>;

export const SEALED_SENDER_ROUTES = {
  getTrustRoot: {
    method: 'GET',
    url: '/v1/sealed-sender/trust-root',
    auth: 'none',
    summary: "The deployment's sealed sender trust root, which clients pin at registration.",
    success: { status: 200, schema: TrustRootResponse },
    errors: ['NOT_FOUND'],
  },
  getSenderCertificate: {
    method: 'GET',
    url: '/v1/sealed-sender/certificate',
    auth: 'device',
    summary:
      'A short-lived sender certificate for the calling device (its account, device id and identity key).',
    success: { status: 200, schema: SenderCertificateResponse },
    errors: ['UNAUTHORIZED', 'NOT_FOUND'],
  },
  putDeliveryToken: {
    method: 'PUT',
    url: '/v1/sealed-sender/delivery-token',
    auth: 'primary',
    summary:
      "Register the account's delivery token (the relay keeps its SHA-256); it replaces the previous one, which stops working.",
    body: PutDeliveryTokenRequest,
    success: { status: 204, schema: null },
    errors: ['UNAUTHORIZED', 'FORBIDDEN'],
  },
  deleteDeliveryToken: {
    method: 'DELETE',
    url: '/v1/sealed-sender/delivery-token',
    auth: 'primary',
    summary: "Revoke the account's delivery token: sealed sends to it are refused until a new one.",
    success: { status: 204, schema: null },
    errors: ['UNAUTHORIZED', 'FORBIDDEN'],
  },
  sendSealed: {
    method: 'POST',
    url: '/v1/sealed-sender/messages',
    auth: 'none',
    summary:
      'Store one sealed envelope per device of the account whose delivery token the request carries; no credential, and no sender is stored or logged. Rate-limited per token and per address.',
    body: SealedSendRequest,
    success: { status: 200, schema: SealedSendResponse },
    errors: ['DELIVERY_TOKEN_INVALID', 'DEVICE_MISMATCH', 'QUEUE_FULL'],
  },
  sendSealedMulti: {
    method: 'POST',
    url: '/v1/sealed-sender/multi-recipient',
    auth: 'none',
    summary:
      "Fan one sealed sender v2 message out to the devices of several accounts, admitted by every named account's delivery token; all or nothing, no sender stored or logged. Rate-limited per address and per token.",
    body: SealedMultiSendRequest,
    success: { status: 200, schema: SealedSendResponse },
    errors: ['DELIVERY_TOKEN_INVALID', 'DEVICE_MISMATCH', 'QUEUE_FULL'],
  },
} as const satisfies Record<string, RouteSpec>;
