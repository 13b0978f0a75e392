/**
 * Sealed sender v1 and v2 between our own parties: round trips, the certificate chain, expiry,
 * the sender-key binding, self-sends, and that every refusal leaves the stores unchanged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concatBytes } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  ProtocolError,
  SealedContentType,
  commitChanges,
  createContent,
  createSenderCertificate,
  createServerCertificate,
  generateKeyPair,
  parseSenderCertificate,
  parseSentMessage,
  receivedMessageFor,
  sealV1,
  sealedSenderDecrypt,
  sealedSenderDecryptToContent,
  sealedSenderEncrypt,
  sealedSenderMultiRecipientEncrypt,
  type KeyPair,
  type SenderCertificate,
  type ServerCertificate,
} from '@parley/protocol';
import { NOW, Party } from './party.js';

const HOUR = 3_600_000;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

interface Deployment {
  readonly trustRoot: KeyPair;
  readonly serverKey: KeyPair;
  readonly server: ServerCertificate;
}

function deployment(p: Primitives, keyId = 1): Deployment {
  const trustRoot = generateKeyPair(p);
  const serverKey = generateKeyPair(p);
  const server = createServerCertificate(p, keyId, serverKey.publicKey, trustRoot.privateKey);
  return { trustRoot, serverKey, server };
}

async function certify(
  p: Primitives,
  d: Deployment,
  party: Party,
  expiration = NOW + HOUR,
): Promise<SenderCertificate> {
  const identity = await party.stores.identity.getIdentityKeyPair();
  return createSenderCertificate(
    p,
    {
      senderUuid: party.address.name,
      senderDeviceId: party.address.deviceId,
      expiration,
      identityKey: identity.publicKey,
    },
    d.server,
    d.serverKey.privateKey,
  );
}

async function refused(party: Party, code: string, run: () => Promise<unknown>): Promise<void> {
  const before = party.snapshot();
  await assert.rejects(run, (e: unknown) => e instanceof ProtocolError && e.code === code);
  assert.equal(party.snapshot(), before, 'a refusal changes no state');
}

for (const p of [createNodePrimitives(), createNoblePrimitives()]) {
  const name = (s: string) => `${p.backend}: ${s}`;

  test(
    name('sealed sender v1: a conversation both ways, the recipient learns the sender'),
    async () => {
      const d = deployment(p);
      const alice = new Party(p);
      const bob = new Party(p);
      await alice.connect(bob);
      const aliceCert = await certify(p, d, alice);
      const bobCert = await certify(p, d, bob);
      for (let i = 0; i < 3; i++) {
        const sealed = await sealedSenderEncrypt(
          alice.ctx,
          bob.address,
          aliceCert,
          enc(`a${i}`),
          NOW,
        );
        await commitChanges(alice.stores, sealed.changes);
        assert.equal(sealed.output[0], 0x11);
        const opened = await sealedSenderDecrypt(bob.ctx, sealed.output, {
          trustRoot: d.trustRoot.publicKey,
          now: NOW,
        });
        await commitChanges(bob.stores, opened.changes);
        assert.equal(dec(opened.output.plaintext), `a${i}`);
        assert.deepEqual(opened.output.sender, alice.address);
        const reply = await sealedSenderEncrypt(bob.ctx, alice.address, bobCert, enc(`b${i}`), NOW);
        await commitChanges(bob.stores, reply.changes);
        const back = await sealedSenderDecrypt(alice.ctx, reply.output, {
          trustRoot: [deployment(p).trustRoot.publicKey, d.trustRoot.publicKey],
          now: NOW,
        });
        await commitChanges(alice.stores, back.changes);
        assert.equal(dec(back.output.plaintext), `b${i}`);
      }
    },
  );

  test(
    name('sealed sender: certificate chain, expiry, mismatch and self-send refusals'),
    async () => {
      const d = deployment(p);
      const alice = new Party(p);
      const bob = new Party(p);
      await alice.connect(bob);
      const seal = async (cert: SenderCertificate) =>
        (await sealedSenderEncrypt(alice.ctx, bob.address, cert, enc('hi'), NOW)).output;
      const open = (bytes: Uint8Array, root = d.trustRoot.publicKey, now = NOW) =>
        sealedSenderDecrypt(bob.ctx, bytes, { trustRoot: root, now });

      // Expired: valid chain, validated one millisecond after its expiration.
      const short = await certify(p, d, alice, NOW);
      await open(await seal(short), d.trustRoot.publicKey, NOW).then((r) =>
        commitChanges(bob.stores, r.changes),
      );
      await refused(bob, 'CERTIFICATE_EXPIRED', async () =>
        open(await seal(short), d.trustRoot.publicKey, NOW + 1),
      );

      // Another deployment's trust root.
      const cert = await certify(p, d, alice);
      await refused(bob, 'INVALID_CERTIFICATE', async () =>
        open(await seal(cert), deployment(p).trustRoot.publicKey),
      );

      // A server certificate signed by a different root, and a sender certificate signed by a
      // key the server certificate does not name.
      const rogue = deployment(p);
      const forgedServer = {
        ...d,
        server: createServerCertificate(p, 1, d.serverKey.publicKey, rogue.trustRoot.privateKey),
      };
      await refused(bob, 'INVALID_CERTIFICATE', async () =>
        open(await seal(await certify(p, forgedServer, alice))),
      );
      const wrongSigner = { ...d, serverKey: rogue.serverKey };
      await refused(bob, 'INVALID_CERTIFICATE', async () =>
        open(await seal(await certify(p, wrongSigner, alice))),
      );

      // libsignal's revoked test id is refused even when properly signed.
      const revoked = deployment(p, 0xdeadc357);
      await refused(bob, 'INVALID_CERTIFICATE', async () =>
        open(await seal(await certify(p, revoked, alice)), revoked.trustRoot.publicKey),
      );

      // A valid certificate for someone else's identity key, sealed with Alice's key.
      const carol = new Party(p);
      const carolCert = await certify(p, d, carol);
      await refused(bob, 'SENDER_MISMATCH', async () => open(await seal(carolCert)));

      // Bob opening a message "from" himself (his certificate, his own key as sealer).
      const bobIdentity = await bob.stores.identity.getIdentityKeyPair();
      const selfContent = createContent({
        type: SealedContentType.Whisper,
        senderCertificate: await certify(p, d, bob),
        content: enc('whatever'),
      });
      const selfSealed = sealV1(p, bobIdentity, bobIdentity.publicKey, selfContent.serialized);
      await refused(bob, 'SEALED_SENDER_SELF_SEND', () => open(selfSealed));

      // Bit flips anywhere in an envelope: never accepted, never a state change.
      const good = await seal(cert);
      for (let i = 0; i < good.length; i += 7) {
        const bad = good.slice();
        bad[i] = (bad[i] ?? 0) ^ 0x01;
        const before = bob.snapshot();
        await assert.rejects(
          () => open(bad),
          (e: unknown) => e instanceof ProtocolError,
        );
        assert.equal(bob.snapshot(), before);
      }
    },
  );

  test(
    name('sealed sender v2: one sent message fanned out to every device of three accounts'),
    async () => {
      const d = deployment(p);
      const alice = new Party(p);
      // v2 writes one key per account, so the devices of an account share its identity key (as
      // in Signal); Bob's two devices do here.
      const bob1 = new Party(p, '11111111-1111-4111-8111-111111111111', 1);
      const bob2Same = new Party(
        p,
        bob1.address.name,
        2,
        await bob1.stores.identity.getIdentityKeyPair(),
      );
      const carol = new Party(p, 'PNI:22222222-2222-4222-8222-222222222222', 3);
      const dave = new Party(p, '33333333-3333-4333-8333-333333333333', 1);
      for (const r of [bob1, bob2Same, carol, dave]) await alice.connect(r);
      const cert = await certify(p, d, alice);
      const content = createContent({
        type: SealedContentType.Plaintext,
        senderCertificate: cert,
        content: enc('group control'),
        groupId: enc('group-1'),
      });
      const sent = await sealedSenderMultiRecipientEncrypt(
        alice.ctx,
        [bob1.address, bob2Same.address, carol.address],
        content,
        [dave.address.name],
      );
      assert.equal(sent[0], 0x23);
      const parsed = parseSentMessage(sent);
      assert.deepEqual(
        parsed.recipients.map((r) => [r.serviceId, r.devices.map((x) => x.deviceId)]),
        [
          [bob1.address.name, [1, 2]],
          [carol.address.name, [3]],
          [dave.address.name, []],
        ],
      );
      for (const [party, r] of [
        [bob1, parsed.recipients[0]],
        [bob2Same, parsed.recipients[0]],
        [carol, parsed.recipients[1]],
      ] as const) {
        assert.ok(r);
        const received = receivedMessageFor(parsed, r);
        assert.equal(received[0], 0x22);
        const us = await party.stores.identity.getIdentityKeyPair();
        const opened = sealedSenderDecryptToContent(p, us, received);
        assert.equal(dec(opened.content), 'group control');
        assert.equal(dec(opened.groupId ?? new Uint8Array()), 'group-1');
        assert.equal(opened.senderCertificate.senderUuid, alice.address.name);
      }
      // Carol's key material does not open Bob's copy, and a forged certificate for another key
      // is a sender mismatch.
      const carolId = await carol.stores.identity.getIdentityKeyPair();
      const bobsCopy = receivedMessageFor(parsed, parsed.recipients[0] ?? assert.fail());
      assert.throws(
        () => sealedSenderDecryptToContent(p, carolId, bobsCopy),
        (e: unknown) => e instanceof ProtocolError && e.code === 'DECRYPTION_FAILED',
      );
    },
  );

  test(
    name('sealed sender v2: devices of one account with keys of their own get an entry each'),
    async () => {
      const d = deployment(p);
      const alice = new Party(p);
      const bob1 = new Party(p, '11111111-1111-4111-8111-111111111111', 1);
      const bob2 = new Party(p, bob1.address.name, 2); // its own identity key, as Parley's
      for (const r of [bob1, bob2]) await alice.connect(r);
      const content = createContent({
        type: SealedContentType.Plaintext,
        senderCertificate: await certify(p, d, alice),
        content: enc('both'),
      });
      const sent = await sealedSenderMultiRecipientEncrypt(
        alice.ctx,
        [bob1.address, bob2.address],
        content,
      );
      // Two entries (ServiceId, one device, C ‖ AT each), each under its device's key.
      assert.equal(sent[1], 2);
      const entry = 17 + 3 + 48;
      const shared = sent.subarray(2 + 2 * entry);
      for (const [i, party] of [bob1, bob2].entries()) {
        const keyMaterial = sent.subarray(2 + i * entry + 20, 2 + (i + 1) * entry);
        const received = concatBytes(Uint8Array.of(0x22), keyMaterial, shared);
        const us = await party.stores.identity.getIdentityKeyPair();
        assert.equal(dec(sealedSenderDecryptToContent(p, us, received).content), 'both');
      }
    },
  );

  test(name('sealed sender v2: a certificate for another key is a sender mismatch'), async () => {
    const d = deployment(p);
    const alice = new Party(p);
    const bob = new Party(p);
    const mallory = new Party(p);
    await mallory.connect(bob);
    const content = createContent({
      type: SealedContentType.Plaintext,
      senderCertificate: await certify(p, d, alice),
      content: enc('x'),
    });
    const sent = await sealedSenderMultiRecipientEncrypt(mallory.ctx, [bob.address], content);
    const parsed = parseSentMessage(sent);
    const us = await bob.stores.identity.getIdentityKeyPair();
    assert.throws(
      () =>
        sealedSenderDecryptToContent(
          p,
          us,
          receivedMessageFor(parsed, parsed.recipients[0] ?? assert.fail()),
        ),
      (e: unknown) => e instanceof ProtocolError && e.code === 'SENDER_MISMATCH',
    );
  });

  test(name('sender certificates round-trip through their encoding'), async () => {
    const d = deployment(p);
    const alice = new Party(p);
    const cert = await certify(p, d, alice);
    const again = parseSenderCertificate(cert.serialized);
    assert.equal(again.senderUuid, alice.address.name);
    assert.equal(again.senderDeviceId, 1);
    assert.equal(again.expiration, NOW + HOUR);
    assert.deepEqual(again.identityKey, cert.identityKey);
    assert.equal(again.signer.kind, 'embedded');
  });
}
