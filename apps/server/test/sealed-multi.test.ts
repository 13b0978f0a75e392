/**
 * Sealed sender v2 through a relay, with real cryptography: alice seals one message once for
 * bob's two devices (each under its own identity key, so one entry per device) and carol's, posts
 * it without credentials with both delivery tokens; every device gets its own part with no
 * sender, opens it with its identity key and finds alice's certificate, which chains to the
 * deployment's root. A device's part does not open on another device.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  SealedContentType,
  createContent,
  generateIdentityKeyPair,
  parseSenderCertificate,
  sealV2,
  sealedSenderDecryptToContent,
  serializePublicKey,
  validateSenderCertificate,
  type IdentityKeyPair,
} from '@parley/protocol';
import { createMemoryStorage, createRelay } from '@parley/relay';
import {
  createSenderCertificateIssuer,
  loadOrCreateSealedSenderKeys,
} from '../src/sealed-sender.js';

type FastifyInstance = Awaited<ReturnType<typeof createRelay>>;

const p = createNodePrimitives();
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const NOW = 1_800_000_000_000;

interface Device {
  readonly accountId: string;
  readonly deviceId: number;
  readonly registrationId: number;
  readonly identity: IdentityKeyPair;
  readonly auth: string;
}

const basic = (accountId: string, deviceId: number, secret: string) =>
  `Basic ${Buffer.from(`${accountId}.${String(deviceId)}:${secret}`).toString('base64')}`;

function deviceBody(registrationId: number) {
  const identity = generateIdentityKeyPair(p);
  const secret = b64(randomBytes(32));
  return {
    identity,
    secret,
    body: { secret, registrationId, identityKey: b64(serializePublicKey(identity.publicKey)) },
  };
}

async function register(app: FastifyInstance, username: string, registrationId: number) {
  const d = deviceBody(registrationId);
  const res = await app.inject({
    method: 'POST',
    url: '/v1/accounts',
    payload: {
      username,
      identityKey: b64(serializePublicKey(generateIdentityKeyPair(p).publicKey)),
      device: d.body,
    },
  });
  assert.equal(res.statusCode, 201, res.body);
  const { accountId } = res.json<{ accountId: string }>();
  return {
    accountId,
    deviceId: 1,
    registrationId,
    identity: d.identity,
    auth: basic(accountId, 1, d.secret),
  };
}

async function link(app: FastifyInstance, primary: Device, registrationId: number) {
  const { linkToken } = (
    await app.inject({
      method: 'POST',
      url: '/v1/devices/link-tokens',
      headers: { authorization: primary.auth },
    })
  ).json<{ linkToken: string }>();
  const d = deviceBody(registrationId);
  const res = await app.inject({
    method: 'POST',
    url: '/v1/devices',
    payload: { linkToken, device: d.body },
  });
  assert.equal(res.statusCode, 201, res.body);
  const { deviceId } = res.json<{ deviceId: number }>();
  return {
    accountId: primary.accountId,
    deviceId,
    registrationId,
    identity: d.identity,
    auth: basic(primary.accountId, deviceId, d.secret),
  };
}

async function putToken(app: FastifyInstance, d: Device): Promise<string> {
  const deliveryToken = b64(randomBytes(32));
  const res = await app.inject({
    method: 'PUT',
    url: '/v1/sealed-sender/delivery-token',
    headers: { authorization: d.auth },
    payload: { deliveryToken },
  });
  assert.equal(res.statusCode, 204);
  return deliveryToken;
}

test('a v2 message sealed once reaches every device of two accounts, each opening its own part', async () => {
  const keys = loadOrCreateSealedSenderKeys(p, undefined);
  const app = await createRelay({
    storage: createMemoryStorage(),
    rateLimits: false,
    now: () => NOW,
    sealedSender: createSenderCertificateIssuer(p, keys),
  });
  try {
    const alice = await register(app, 'alice', 101);
    const bob = await register(app, 'bob', 202);
    const bob2 = await link(app, bob, 203);
    const carol = await register(app, 'carol', 303);
    const tokens = [
      { accountId: bob.accountId, deliveryToken: await putToken(app, bob) },
      { accountId: carol.accountId, deliveryToken: await putToken(app, carol) },
    ];
    const cert = (
      await app.inject({
        method: 'GET',
        url: '/v1/sealed-sender/certificate',
        headers: { authorization: alice.auth },
      })
    ).json<{ certificate: string }>();
    const content = createContent({
      type: SealedContentType.Plaintext,
      senderCertificate: parseSenderCertificate(bytes(cert.certificate)),
      content: new TextEncoder().encode('to everyone'),
    });
    const recipients = [bob, bob2, carol];
    const sent = sealV2(
      p,
      alice.identity,
      recipients.map((d) => ({
        serviceId: d.accountId,
        identityKey: d.identity.publicKey,
        devices: [{ deviceId: d.deviceId, registrationId: d.registrationId }],
      })),
      content.serialized,
    );
    const res = await app.inject({
      method: 'POST',
      url: '/v1/sealed-sender/multi-recipient',
      payload: { message: b64(sent), tokens, clientMessageId: 'm1' },
    });
    assert.equal(res.statusCode, 200, res.body);

    const parts: Uint8Array[] = [];
    for (const d of recipients) {
      const page = (
        await app.inject({ method: 'GET', url: '/v1/messages', headers: { authorization: d.auth } })
      ).json<{
        messages: { senderAccountId: string; senderDeviceId: number; content: string }[];
      }>();
      assert.equal(page.messages.length, 1);
      const [m] = page.messages;
      assert.equal(m?.senderAccountId, '');
      assert.equal(m.senderDeviceId, 0);
      const part = bytes(m.content);
      parts.push(part);
      const opened = sealedSenderDecryptToContent(p, d.identity, part);
      assert.equal(new TextDecoder().decode(opened.content), 'to everyone');
      assert.equal(opened.senderCertificate.senderUuid, alice.accountId);
      validateSenderCertificate(p, opened.senderCertificate, keys.trustRoot.publicKey, NOW);
    }
    // bob's second device cannot open the part meant for his first (its own key material).
    assert.throws(() => sealedSenderDecryptToContent(p, bob2.identity, parts[0] ?? assert.fail()));
  } finally {
    await app.close();
  }
});
