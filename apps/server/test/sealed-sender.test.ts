/**
 * Sealed sender's certificates from a relay: the trust root is drawn at first start, kept in the
 * data directory (0600) and the same at the next start; an authenticated device gets a
 * short-lived certificate naming its account, device and registered identity key, which
 * validates against the published root and expires; without an issuer the routes are absent;
 * an unauthenticated request gets no certificate.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  ProtocolError,
  deserializePublicKey,
  generateIdentityKeyPair,
  parseSenderCertificate,
  serializePublicKey,
  validateSenderCertificate,
} from '@parley/protocol';
import { createMemoryStorage, createRelay } from '@parley/relay';
import {
  SEALED_SENDER_KEY_FILE,
  createSenderCertificateIssuer,
  loadOrCreateSealedSenderKeys,
} from '../src/sealed-sender.js';
import { SENDER_CERTIFICATE_LIFETIME_MS } from '../src/limits.js';

const p = createNodePrimitives();
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const NOW = 1_800_000_000_000;

test('sealed sender keys: drawn at first start, kept (0600) and reloaded unchanged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sealed-'));
  try {
    const first = loadOrCreateSealedSenderKeys(p, dir);
    assert.equal(statSync(join(dir, SEALED_SENDER_KEY_FILE)).mode & 0o777, 0o600);
    const again = loadOrCreateSealedSenderKeys(p, dir);
    assert.deepEqual(again.trustRoot.publicKey, first.trustRoot.publicKey);
    assert.deepEqual(again.serverKey.publicKey, first.serverKey.publicKey);
    const other = loadOrCreateSealedSenderKeys(p, undefined);
    assert.notDeepEqual(other.trustRoot.publicKey, first.trustRoot.publicKey);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sealed sender routes: trust root for anyone, a certificate for the authenticated device', async () => {
  const keys = loadOrCreateSealedSenderKeys(p, undefined);
  const app = await createRelay({
    storage: createMemoryStorage(),
    rateLimits: false,
    now: () => NOW,
    sealedSender: createSenderCertificateIssuer(p, keys),
  });
  try {
    const identity = generateIdentityKeyPair(p);
    const secret = b64(randomBytes(32));
    const created = await app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: {
        username: 'alice',
        identityKey: b64(serializePublicKey(generateIdentityKeyPair(p).publicKey)),
        device: {
          secret,
          registrationId: 42,
          identityKey: b64(serializePublicKey(identity.publicKey)),
        },
      },
    });
    assert.equal(created.statusCode, 201);
    const { accountId } = created.json<{ accountId: string }>();
    const auth = `Basic ${Buffer.from(`${accountId}.1:${secret}`).toString('base64')}`;

    const rootReply = await app.inject({ method: 'GET', url: '/v1/sealed-sender/trust-root' });
    assert.equal(rootReply.statusCode, 200);
    const root = deserializePublicKey(
      new Uint8Array(Buffer.from(rootReply.json<{ trustRoot: string }>().trustRoot, 'base64')),
    );
    assert.deepEqual(root, keys.trustRoot.publicKey);

    assert.equal(
      (await app.inject({ method: 'GET', url: '/v1/sealed-sender/certificate' })).statusCode,
      401,
    );
    const reply = await app.inject({
      method: 'GET',
      url: '/v1/sealed-sender/certificate',
      headers: { authorization: auth },
    });
    assert.equal(reply.statusCode, 200);
    const body = reply.json<{ certificate: string; expiresAt: number }>();
    assert.equal(body.expiresAt, NOW + SENDER_CERTIFICATE_LIFETIME_MS);
    const certificate = parseSenderCertificate(
      new Uint8Array(Buffer.from(body.certificate, 'base64')),
    );
    assert.equal(certificate.senderUuid, accountId);
    assert.equal(certificate.senderDeviceId, 1);
    assert.deepEqual(certificate.identityKey, identity.publicKey);
    validateSenderCertificate(p, certificate, root, NOW);
    assert.throws(
      () => validateSenderCertificate(p, certificate, root, body.expiresAt + 1),
      (e: unknown) => e instanceof ProtocolError && e.code === 'CERTIFICATE_EXPIRED',
    );
  } finally {
    await app.close();
  }
});

test('sealed sender routes: NOT_FOUND when the deployment gives no issuer', async () => {
  const app = await createRelay({ storage: createMemoryStorage(), rateLimits: false });
  try {
    const reply = await app.inject({ method: 'GET', url: '/v1/sealed-sender/trust-root' });
    assert.equal(reply.statusCode, 404);
    assert.equal(reply.json<{ error: { code: string } }>().error.code, 'NOT_FOUND');
  } finally {
    await app.close();
  }
});
