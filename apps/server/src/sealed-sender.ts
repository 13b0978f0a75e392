/**
 * The deployment's sealed sender keys and the certificate issuer the relay is given.
 *
 * At first start the server draws a trust root and a server key and keeps them in
 * `<data dir>/sealed-sender-keys.json` (mode 0600, written to a temporary file and renamed, so
 * a crash leaves either no file or a whole one); later starts load them, so the trust root that
 * clients pinned stays the same. With in-memory storage the keys live as long as the process,
 * like everything else. The trust root signs one server certificate at start; the server key
 * signs each sender certificate (valid {@link SENDER_CERTIFICATE_LIFETIME_MS}).
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBase64, toBase64 } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import {
  asPrivateKey,
  asPublicKey,
  createSenderCertificate,
  createServerCertificate,
  deserializePublicKey,
  serializePublicKey,
  type KeyPair,
} from '@parley/protocol';
import type { SenderCertificateIssuer } from '@parley/relay';
import { MAX_SEALED_SENDER_KEY_FILE_BYTES, SENDER_CERTIFICATE_LIFETIME_MS } from './limits.js';

export const SEALED_SENDER_KEY_FILE = 'sealed-sender-keys.json';
const KEY_FILE_VERSION = 1;
/** The id of the (only) server certificate; a rotation would add another. */
const SERVER_CERTIFICATE_ID = 1;

export interface SealedSenderKeys {
  readonly trustRoot: KeyPair;
  readonly serverKey: KeyPair;
  readonly keyId: number;
}

function keyPair(p: Primitives, privateKey: Uint8Array): KeyPair {
  return {
    privateKey: asPrivateKey(privateKey),
    publicKey: asPublicKey(p.x25519.publicKey(privateKey)),
  };
}

function generate(p: Primitives): SealedSenderKeys {
  const fresh = () => {
    const pair = p.x25519.generateKeyPair();
    return { privateKey: asPrivateKey(pair.privateKey), publicKey: asPublicKey(pair.publicKey) };
  };
  return { trustRoot: fresh(), serverKey: fresh(), keyId: SERVER_CERTIFICATE_ID };
}

/** Loads the deployment's keys from `dataDir`, creating them at first start; none: in memory. */
export function loadOrCreateSealedSenderKeys(
  p: Primitives,
  dataDir: string | undefined,
): SealedSenderKeys {
  if (dataDir === undefined) return generate(p);
  const file = join(dataDir, SEALED_SENDER_KEY_FILE);
  if (existsSync(file)) {
    if (statSync(file).size > MAX_SEALED_SENDER_KEY_FILE_BYTES) {
      throw new Error(`${SEALED_SENDER_KEY_FILE} is too large to be a key file`);
    }
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const { version, keyId, trustRoot, serverKey } = parsed;
    if (
      version !== KEY_FILE_VERSION ||
      typeof keyId !== 'number' ||
      typeof trustRoot !== 'string' ||
      typeof serverKey !== 'string'
    ) {
      throw new Error(`${SEALED_SENDER_KEY_FILE} is not a version ${KEY_FILE_VERSION} key file`);
    }
    return {
      trustRoot: keyPair(p, fromBase64(trustRoot)),
      serverKey: keyPair(p, fromBase64(serverKey)),
      keyId,
    };
  }
  const keys = generate(p);
  const body = JSON.stringify({
    version: KEY_FILE_VERSION,
    keyId: keys.keyId,
    trustRoot: toBase64(keys.trustRoot.privateKey),
    serverKey: toBase64(keys.serverKey.privateKey),
  });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, body, { mode: 0o600, flush: true });
  renameSync(temporary, file);
  return keys;
}

/** The issuer the relay serves certificates through. */
export function createSenderCertificateIssuer(
  p: Primitives,
  keys: SealedSenderKeys,
  lifetimeMs = SENDER_CERTIFICATE_LIFETIME_MS,
): SenderCertificateIssuer {
  const server = createServerCertificate(
    p,
    keys.keyId,
    keys.serverKey.publicKey,
    keys.trustRoot.privateKey,
  );
  return {
    trustRoot: serializePublicKey(keys.trustRoot.publicKey),
    issue(device, now) {
      const expiresAt = now + lifetimeMs;
      const certificate = createSenderCertificate(
        p,
        {
          senderUuid: device.accountId,
          senderDeviceId: device.deviceId,
          expiration: expiresAt,
          identityKey: deserializePublicKey(device.identityKey),
        },
        server,
        keys.serverKey.privateKey,
      );
      return { certificate: certificate.serialized, expiresAt };
    },
  };
}
