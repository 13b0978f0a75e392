/**
 * The wire contract for sealed sender (issue 18), first part: the deployment's trust root,
 * published to anyone (clients pin it at registration), and short-lived sender certificates for
 * authenticated devices (libsignal's `SenderCertificate` encoding, signed by a server key that
 * the trust root certifies). A relay without sealed sender configured answers both with
 * `NOT_FOUND`. The unauthenticated send route is not part of the contract yet.
 */
import { Type, type Static } from '@sinclair/typebox';
import { MAX_SENDER_CERTIFICATE_BYTES, SEALED_SENDER_TRUST_ROOT_BYTES } from './limits.js';
import { Base64, Timestamp } from './schemas.js';
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
} as const satisfies Record<string, RouteSpec>;
