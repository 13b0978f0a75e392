/**
 * Sealed sender certificates (libsignal `sealed_sender.rs`, `proto/sealed_sender.proto`).
 *
 * A deployment's **trust root** (a Curve25519 key pair) signs a **server certificate**
 * `{1 id: uint32, 2 key: 0x05‖33 B}`; the server key signs short-lived **sender certificates**
 * `{1 e164?, 2 device: uint32, 3 expires: fixed64 ms, 4 identityKey, 5 server certificate |
 * 8 server certificate id, 6 uuid string | 7 uuid bytes}`. Each signed body travels as
 * `{1 certificate bytes, 2 XEdDSA signature}`, and the signature covers the body bytes exactly as
 * received, so they are kept and never re-encoded. Fields are written in ascending number, as
 * libsignal (prost) does, so our certificates are byte-identical to libsignal's for the same
 * signature.
 */
import { ProtoReader, ProtoWriter, concatBytes, toHex } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { uuidString } from '../address.js';
import { ProtocolError } from '../errors.js';
import {
  deserializePublicKey,
  serializePublicKey,
  type PrivateKey,
  type PublicKey,
} from '../keys.js';
import { MAX_DEVICE_ID, MAX_VERIFIED_SIGNATURES_CACHED, MIN_DEVICE_ID } from '../limits.js';
import { parsing } from '../messages.js';

/**
 * Server certificate ids that are refused whatever their signature (libsignal
 * `REVOKED_SERVER_CERTIFICATE_KEY_IDS`: its test id for revocation).
 */
export const REVOKED_SERVER_CERTIFICATE_IDS: readonly number[] = [0xdeadc357];

export interface ServerCertificate {
  readonly keyId: number;
  /** The server key that signs sender certificates. */
  readonly key: PublicKey;
  /** The signed body, as received. */
  readonly certificate: Uint8Array;
  readonly signature: Uint8Array;
  readonly serialized: Uint8Array;
}

/** Who signed a sender certificate: an embedded server certificate, or a well-known id. */
export type SenderCertificateSigner =
  | { readonly kind: 'embedded'; readonly certificate: ServerCertificate }
  | { readonly kind: 'reference'; readonly id: number };

export interface SenderCertificate {
  /** The sender's account (a ServiceId string for libsignal peers). */
  readonly senderUuid: string;
  readonly senderE164: string | undefined;
  readonly senderDeviceId: number;
  /**
   * Milliseconds since the epoch after which the certificate is refused. A fixed64 beyond
   * 2⁵³ − 1 (285,000 years away) is read as 2⁵³ − 1.
   */
  readonly expiration: number;
  /** The sender's identity key; sealed sender decryption requires it to be the sealing key. */
  readonly identityKey: PublicKey;
  readonly signer: SenderCertificateSigner;
  readonly certificate: Uint8Array;
  readonly signature: Uint8Array;
  readonly serialized: Uint8Array;
}

function malformed(what: string): ProtocolError {
  return new ProtocolError('INVALID_MESSAGE', `${what}: malformed`);
}

/** Splits `{1 certificate, 2 signature}`; both are required. */
function signedBody(
  bytes: Uint8Array,
  what: string,
): { certificate: Uint8Array; signature: Uint8Array } {
  let certificate: Uint8Array | undefined;
  let signature: Uint8Array | undefined;
  for (const f of new ProtoReader(bytes)) {
    if (f.fieldNumber === 1) certificate = f.bytes();
    else if (f.fieldNumber === 2) signature = f.bytes();
  }
  if (certificate === undefined || signature === undefined) throw malformed(what);
  return { certificate, signature };
}

function encodeSigned(certificate: Uint8Array, signature: Uint8Array): Uint8Array {
  return new ProtoWriter().bytes(1, certificate).bytes(2, signature).finish();
}

export function parseServerCertificate(bytes: Uint8Array): ServerCertificate {
  return parsing('server certificate', () => {
    const { certificate, signature } = signedBody(bytes, 'server certificate');
    let keyId: number | undefined;
    let key: PublicKey | undefined;
    for (const f of new ProtoReader(certificate)) {
      if (f.fieldNumber === 1) keyId = f.uint32();
      else if (f.fieldNumber === 2) key = deserializePublicKey(f.bytes());
    }
    if (keyId === undefined || key === undefined) throw malformed('server certificate');
    return { keyId, key, certificate, signature, serialized: bytes.slice() };
  });
}

/** A server certificate for `key`, signed by the deployment's trust root. */
export function createServerCertificate(
  p: Primitives,
  keyId: number,
  key: PublicKey,
  trustRootPrivateKey: PrivateKey,
): ServerCertificate {
  const certificate = new ProtoWriter().uint32(1, keyId).bytes(2, serializePublicKey(key)).finish();
  const signature = p.xeddsa.sign(trustRootPrivateKey, certificate);
  return { keyId, key, certificate, signature, serialized: encodeSigned(certificate, signature) };
}

const UUID_BYTES_LENGTH = 16;

export function parseSenderCertificate(bytes: Uint8Array): SenderCertificate {
  return parsing('sender certificate', () => {
    const { certificate, signature } = signedBody(bytes, 'sender certificate');
    let senderE164: string | undefined;
    let senderUuid: string | undefined;
    let senderDeviceId: number | undefined;
    let expires: bigint | undefined;
    let identityKey: PublicKey | undefined;
    let signer: SenderCertificateSigner | undefined;
    for (const f of new ProtoReader(certificate)) {
      switch (f.fieldNumber) {
        case 1:
          senderE164 = f.string();
          break;
        case 2:
          senderDeviceId = f.uint32();
          break;
        case 3:
          expires = f.fixed64();
          break;
        case 4:
          identityKey = deserializePublicKey(f.bytes());
          break;
        case 5:
          signer = { kind: 'embedded', certificate: parseServerCertificate(f.bytes()) };
          break;
        case 6:
          senderUuid = f.string();
          break;
        case 7: {
          const raw = f.bytes();
          if (raw.length !== UUID_BYTES_LENGTH) throw malformed('sender certificate');
          senderUuid = uuidString(raw);
          break;
        }
        case 8:
          signer = { kind: 'reference', id: f.uint32() };
          break;
        default:
          break;
      }
    }
    if (
      senderUuid === undefined ||
      senderDeviceId === undefined ||
      senderDeviceId < MIN_DEVICE_ID ||
      senderDeviceId > MAX_DEVICE_ID ||
      expires === undefined ||
      identityKey === undefined ||
      signer === undefined
    ) {
      throw malformed('sender certificate');
    }
    const expiration =
      expires > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(expires);
    return {
      senderUuid,
      senderE164,
      senderDeviceId,
      expiration,
      identityKey,
      signer,
      certificate,
      signature,
      serialized: bytes.slice(),
    };
  });
}

export interface SenderCertificateFields {
  readonly senderUuid: string;
  readonly senderE164?: string | undefined;
  readonly senderDeviceId: number;
  /** Milliseconds since the epoch. */
  readonly expiration: number;
  readonly identityKey: PublicKey;
}

/** A sender certificate signed by the server key that `signer` certifies. */
export function createSenderCertificate(
  p: Primitives,
  fields: SenderCertificateFields,
  signer: ServerCertificate,
  signerPrivateKey: PrivateKey,
): SenderCertificate {
  const { senderUuid, senderE164, senderDeviceId, expiration, identityKey } = fields;
  if (
    !Number.isInteger(senderDeviceId) ||
    senderDeviceId < MIN_DEVICE_ID ||
    senderDeviceId > MAX_DEVICE_ID
  ) {
    throw new ProtocolError('MISUSE', `device id must be ${MIN_DEVICE_ID}..${MAX_DEVICE_ID}`);
  }
  if (!Number.isSafeInteger(expiration) || expiration < 0) {
    throw new ProtocolError('MISUSE', 'expiration must be a non-negative integer of ms');
  }
  const w = new ProtoWriter();
  if (senderE164 !== undefined) w.string(1, senderE164);
  const certificate = w
    .uint32(2, senderDeviceId)
    .fixed64(3, BigInt(expiration))
    .bytes(4, serializePublicKey(identityKey))
    .bytes(5, signer.serialized)
    .string(6, senderUuid)
    .finish();
  const signature = p.xeddsa.sign(signerPrivateKey, certificate);
  return {
    senderUuid,
    senderE164,
    senderDeviceId,
    expiration,
    identityKey,
    signer: { kind: 'embedded', certificate: signer },
    certificate,
    signature,
    serialized: encodeSigned(certificate, signature),
  };
}

/**
 * Successful XEdDSA verifications, per backend, keyed by SHA-256(key ‖ signature ‖ message):
 * verification is a pure function of those bytes, so a hit is as good as verifying again.
 * Failures are never remembered. Insertion order makes the Map a FIFO of bounded size.
 */
const verifiedSignatures = new WeakMap<Primitives, Map<string, true>>();

function verifyRemembered(
  p: Primitives,
  key: PublicKey,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  let seen = verifiedSignatures.get(p);
  if (seen === undefined) {
    seen = new Map();
    verifiedSignatures.set(p, seen);
  }
  const id = toHex(p.hash('sha256', concatBytes(key, signature, message)));
  if (seen.has(id)) return true;
  if (!p.xeddsa.verify(key, message, signature)) return false;
  seen.set(id, true);
  if (seen.size > MAX_VERIFIED_SIGNATURES_CACHED) {
    const oldest = seen.keys().next().value;
    if (oldest !== undefined) seen.delete(oldest);
  }
  return true;
}

/** Whether a server certificate is signed by `trustRoot` and not revoked. */
export function verifyServerCertificate(
  p: Primitives,
  certificate: ServerCertificate,
  trustRoot: PublicKey,
): boolean {
  if (REVOKED_SERVER_CERTIFICATE_IDS.includes(certificate.keyId)) return false;
  return verifyRemembered(p, trustRoot, certificate.certificate, certificate.signature);
}

/**
 * Checks a sender certificate at time `now` (ms): its server certificate is signed by one of
 * `trustRoots` (every root is tried, so timing does not tell which one matched) and not
 * revoked, the server key signed it, and it has not expired. Throws `INVALID_CERTIFICATE` or
 * `CERTIFICATE_EXPIRED`. A certificate that names its server certificate by id is refused: we
 * know no well-known server certificates (those are Signal's own).
 */
export function validateSenderCertificate(
  p: Primitives,
  certificate: SenderCertificate,
  trustRoots: PublicKey | readonly PublicKey[],
  now: number,
): void {
  const roots: readonly PublicKey[] = Array.isArray(trustRoots)
    ? trustRoots
    : [trustRoots as PublicKey];
  const { signer } = certificate;
  if (signer.kind !== 'embedded') {
    throw new ProtocolError('INVALID_CERTIFICATE', 'unknown server certificate');
  }
  let anyValid = false;
  for (const root of roots) {
    if (verifyServerCertificate(p, signer.certificate, root)) anyValid = true;
  }
  if (!anyValid) {
    throw new ProtocolError('INVALID_CERTIFICATE', 'server certificate not signed by a trust root');
  }
  if (
    !verifyRemembered(p, signer.certificate.key, certificate.certificate, certificate.signature)
  ) {
    throw new ProtocolError('INVALID_CERTIFICATE', 'sender certificate not signed by the server');
  }
  if (now > certificate.expiration) {
    throw new ProtocolError('CERTIFICATE_EXPIRED', 'sender certificate expired');
  }
}
