/**
 * `seal`/`unseal` through the JSON-lines peers (spawned processes): ours ↔ libsignal, v1 and v2,
 * with a trust root and certificates made by the test (the relay's role), and an expired
 * certificate refused by the opener.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '@parley/bytes';
import { createNodePrimitives } from '@parley/primitives-node';
import { PeerClient, peerCommand, type PeerResponse } from '@parley/interop-peer/peer-client';
import {
  createSenderCertificate,
  createServerCertificate,
  deserializePublicKey,
  generateKeyPair,
  serializePublicKey,
} from '@parley/protocol';

const root = new URL('../../../', import.meta.url).pathname;
const ours = () => new PeerClient(...peerCommand('interop/peer/src/main.ts'), root);
const libsignal = () =>
  new PeerClient(...peerCommand('interop/libsignal/test/libsignal-peer-main.ts'), root);
const p = createNodePrimitives();
const hex = (s: string) => toHex(new TextEncoder().encode(s));

const trustRoot = generateKeyPair(p);
const serverKey = generateKeyPair(p);
const server = createServerCertificate(p, 1, serverKey.publicKey, trustRoot.privateKey);
const pinned = toHex(serializePublicKey(trustRoot.publicKey));

function certificate(init: PeerResponse, expiration: number): string {
  const address = init['address'] as { name: string; device_id: number };
  return toHex(
    createSenderCertificate(
      p,
      {
        senderUuid: address.name,
        senderDeviceId: address.device_id,
        expiration,
        identityKey: deserializePublicKey(fromHex(init['identity_key'] as string)),
      },
      server,
      serverKey.privateKey,
    ).serialized,
  );
}

for (const [name, make] of [
  ['ours seals → libsignal opens', (): [PeerClient, PeerClient] => [ours(), libsignal()]],
  ['libsignal seals → ours opens', (): [PeerClient, PeerClient] => [libsignal(), ours()]],
] as const) {
  test(`JSON-lines peers: seal/unseal, ${name}`, async () => {
    const [a, b] = make();
    const ia = await a.ok('init');
    const ib = await b.ok('init');
    await a.ok('process_bundle', { bundle: (await b.ok('bundle'))['bundle'] });
    const now = Date.now();
    const good = certificate(ia, now + 60_000);
    for (const version of [1, 2, 1, 2]) {
      const sealed = await a.ok('seal', {
        to: ib['address'],
        plaintext_hex: hex(`v${version}`),
        sender_certificate_hex: good,
        version,
      });
      const opened = await b.ok('unseal', {
        sealed_hex: sealed['sealed_hex'],
        trust_root_hex: pinned,
        now_ms: now,
      });
      assert.equal(opened['plaintext_hex'], hex(`v${version}`));
      assert.deepEqual(opened['sender'], ia['address']);
    }
    const expired = await a.ok('seal', {
      to: ib['address'],
      plaintext_hex: hex('late'),
      sender_certificate_hex: certificate(ia, now - 1),
      version: 1,
    });
    const refused = await b.request('unseal', {
      sealed_hex: expired['sealed_hex'],
      trust_root_hex: pinned,
      now_ms: now,
    });
    assert.equal(refused.ok, false);
    await Promise.all([a.close(), b.close()]);
  });
}
