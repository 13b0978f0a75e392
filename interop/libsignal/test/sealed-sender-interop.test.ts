/**
 * Sealed sender against libsignal-client 0.103.0 with our own trust root (issue 18): libsignal
 * seals and we open, we seal and libsignal opens, v1 and v2; certificates made by either side
 * validate on the other; expired and wrongly signed certificates are refused by both; a v2
 * sent message from either side fans out (through the other's parser) to recipients of both.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import {
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SenderCertificate,
  ServerCertificate,
  UnidentifiedSenderMessageContent,
  sealedSenderDecryptToUsmc,
  sealedSenderMultiRecipientEncrypt,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import type { Primitives } from '@parley/primitives';
import type { PeerParty } from '@parley/interop-peer/peer-protocol';
import { OurParty } from '@parley/interop-peer/our-party';
import {
  ProtocolError,
  SealedContentType,
  createContent,
  createSenderCertificate,
  createServerCertificate,
  deserializePublicKey,
  generateKeyPair,
  parseSenderCertificate,
  parseSentMessage,
  parseServerCertificate,
  receivedMessageFor,
  sealedSenderDecryptToContent,
  sealedSenderMultiRecipientEncrypt as ourMultiRecipientEncrypt,
  serializePublicKey,
  validateSenderCertificate,
  type KeyPair,
  type ServerCertificate as OurServerCertificate,
} from '@parley/protocol';
import { backends } from './backends.js';
import { LibsignalPeerParty } from './libsignal-peer-party.js';
import { ab } from './libsignal-parties.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const HOUR = 3_600_000;
const NOW = Date.now();

/** A deployment's trust root and server key, ours (the relay would hold them). */
interface Deployment {
  readonly root: KeyPair;
  readonly serverKey: KeyPair;
  readonly server: OurServerCertificate;
  /** `0x05 ‖ root`: what clients pin. */
  readonly pinned: Uint8Array;
}

function deployment(p: Primitives): Deployment {
  const root = generateKeyPair(p);
  const serverKey = generateKeyPair(p);
  const server = createServerCertificate(p, 42, serverKey.publicKey, root.privateKey);
  return { root, serverKey, server, pinned: serializePublicKey(root.publicKey) };
}

/** A sender certificate for `party`, made by us. */
function certify(p: Primitives, d: Deployment, party: PeerParty, expiration = NOW + HOUR) {
  return createSenderCertificate(
    p,
    {
      senderUuid: party.address.name,
      senderDeviceId: party.address.deviceId,
      expiration,
      identityKey: deserializePublicKey(party.identityKey),
    },
    d.server,
    d.serverKey.privateKey,
  ).serialized;
}

/** The same, made by libsignal from our trust root (re-signing the server certificate too). */
function certifyByLibsignal(d: Deployment, party: PeerParty, expiration = NOW + HOUR) {
  const server = ServerCertificate.new(
    7,
    PublicKey.deserialize(ab(serializePublicKey(d.serverKey.publicKey))),
    PrivateKey.deserialize(ab(d.root.privateKey)),
  );
  return SenderCertificate.new(
    party.address.name,
    null,
    party.address.deviceId,
    PublicKey.deserialize(ab(party.identityKey)),
    expiration,
    server,
    PrivateKey.deserialize(ab(d.serverKey.privateKey)),
  ).serialize();
}

async function establish(a: PeerParty, b: PeerParty): Promise<void> {
  await a.processBundle(await b.bundle(true));
}

function pairs(p: Primitives): [string, () => [PeerParty, PeerParty]][] {
  return [
    ['ours seals → libsignal opens', () => [OurParty.create(p), new LibsignalPeerParty()]],
    ['libsignal seals → ours opens', () => [new LibsignalPeerParty(), OurParty.create(p)]],
  ];
}

const isOurs = (party: PeerParty) => party instanceof OurParty;

for (const p of backends) {
  test(`${p.backend}: certificates made by either side validate on the other`, () => {
    const d = deployment(p);
    const party = OurParty.create(p);
    // Ours → libsignal.
    const ourServer = ServerCertificate.deserialize(ab(d.server.serialized));
    assert.equal(ourServer.keyId(), 42);
    const ours = SenderCertificate.deserialize(ab(certify(p, d, party)));
    assert.ok(ours.validate(PublicKey.deserialize(ab(d.pinned)), NOW));
    assert.equal(ours.validate(PublicKey.deserialize(ab(d.pinned)), NOW + HOUR + 1), false);
    assert.equal(ours.validate(PrivateKey.generate().getPublicKey(), NOW), false);
    assert.equal(ours.senderUuid(), party.address.name);
    assert.equal(ours.senderDeviceId(), 1);
    // libsignal → ours.
    const theirs = parseSenderCertificate(certifyByLibsignal(d, party));
    validateSenderCertificate(p, theirs, d.root.publicKey, NOW);
    assert.equal(theirs.senderUuid, party.address.name);
    assert.equal(theirs.expiration, NOW + HOUR);
    assert.throws(
      () => validateSenderCertificate(p, theirs, d.root.publicKey, NOW + HOUR + 1),
      (e: unknown) => e instanceof ProtocolError && e.code === 'CERTIFICATE_EXPIRED',
    );
    const theirServer = parseServerCertificate(
      ServerCertificate.new(
        9,
        PublicKey.deserialize(ab(serializePublicKey(d.serverKey.publicKey))),
        PrivateKey.deserialize(ab(d.root.privateKey)),
      ).serialize(),
    );
    assert.equal(theirServer.keyId, 9);
    // Byte-identical bodies: the signed part of a server certificate is deterministic.
    assert.deepEqual(
      ab(createServerCertificate(p, 9, d.serverKey.publicKey, d.root.privateKey).certificate),
      ab(theirServer.certificate),
    );
  });

  for (const [direction, make] of pairs(p)) {
    for (const version of [1, 2] as const) {
      const name = `${p.backend}: v${version}: ${direction}`;

      test(`${name}: a sealed conversation, the opener learns the certified sender`, async () => {
        const d = deployment(p);
        const [sealer, opener] = make();
        await establish(sealer, opener);
        const byLibsignal = !isOurs(sealer);
        const cert = byLibsignal ? certifyByLibsignal(d, sealer) : certify(p, d, sealer);
        for (let i = 0; i < 4; i++) {
          // The first is a PreKey message inside the envelope, then Whisper after a reply.
          const sealed = await sealer.seal(opener.address, enc(`m${i}`), cert, version);
          assert.equal(sealed[0], version === 1 ? 0x11 : 0x22);
          const opened = await opener.unseal(sealed, d.pinned, NOW);
          assert.equal(dec(opened.plaintext), `m${i}`);
          assert.deepEqual(opened.sender, sealer.address);
          const reply = await opener.seal(
            sealer.address,
            enc(`r${i}`),
            certify(p, d, opener),
            version,
          );
          const back = await sealer.unseal(reply, d.pinned, NOW);
          assert.equal(dec(back.plaintext), `r${i}`);
          assert.deepEqual(back.sender, opener.address);
        }
      });

      test(`${name}: expired and wrongly signed certificates are refused`, async () => {
        const d = deployment(p);
        const [sealer, opener] = make();
        await establish(sealer, opener);
        const rogue = deployment(p);
        const cases: [string, Uint8Array, string][] = [
          ['expired', certify(p, d, sealer, NOW - 1), 'CERTIFICATE_EXPIRED'],
          [
            'expired (libsignal-made)',
            certifyByLibsignal(d, sealer, NOW - 1),
            'CERTIFICATE_EXPIRED',
          ],
          ['another trust root', certify(p, rogue, sealer), 'INVALID_CERTIFICATE'],
          [
            'server certificate signed by another root',
            certify(
              p,
              {
                ...d,
                server: createServerCertificate(
                  p,
                  42,
                  d.serverKey.publicKey,
                  rogue.root.privateKey,
                ),
              },
              sealer,
            ),
            'INVALID_CERTIFICATE',
          ],
          [
            'sender certificate signed by another key',
            certify(p, { ...d, serverKey: rogue.serverKey }, sealer),
            'INVALID_CERTIFICATE',
          ],
        ];
        for (const [what, cert, code] of cases) {
          const sealed = await sealer.seal(opener.address, enc(what), cert, version);
          await assert.rejects(
            () => opener.unseal(sealed, d.pinned, NOW),
            (e: unknown) =>
              isOurs(opener) ? e instanceof ProtocolError && e.code === code : e instanceof Error,
            what,
          );
        }
        // A certificate for someone else's identity key, sealed with the sealer's key.
        const other = OurParty.create(p);
        const sealed = await sealer.seal(
          opener.address,
          enc('mismatch'),
          certify(p, d, other),
          version,
        );
        await assert.rejects(
          () => opener.unseal(sealed, d.pinned, NOW),
          (e: unknown) =>
            isOurs(opener)
              ? e instanceof ProtocolError && e.code === 'SENDER_MISMATCH'
              : e instanceof Error,
        );
        // The refusals changed nothing: a good certificate still works on the same session.
        const ok = await sealer.seal(
          opener.address,
          enc('still fine'),
          certify(p, d, sealer),
          version,
        );
        assert.equal(dec((await opener.unseal(ok, d.pinned, NOW)).plaintext), 'still fine');
      });
    }
  }

  test(`${p.backend}: a v2 sent message from libsignal fans out through our parser to both kinds of recipient`, async () => {
    const d = deployment(p);
    const sender = new LibsignalPeerParty();
    const ours = OurParty.create(p);
    const theirs = new LibsignalPeerParty();
    await establish(sender, ours);
    await establish(sender, theirs);
    const cert = SenderCertificate.deserialize(ab(certify(p, d, sender)));
    const message = await signalEncrypt(
      ab(enc('shared')),
      ProtocolAddress.new(ours.address.name, 1),
      sender.party.address,
      sender.party.sessions,
      sender.party.identities,
    );
    const usmc = UnidentifiedSenderMessageContent.new(message, cert, 2, ab(enc('group')));
    const sent = await sealedSenderMultiRecipientEncrypt({
      content: usmc,
      recipients: [
        ProtocolAddress.new(ours.address.name, 1),
        ProtocolAddress.new(theirs.address.name, 1),
      ],
      excludedRecipients: [],
      identityStore: sender.party.identities,
      sessionStore: sender.party.sessions,
    });
    const parsed = parseSentMessage(sent);
    assert.deepEqual(
      parsed.recipients.map((r) => [
        r.serviceId,
        r.devices.map((x) => [x.deviceId, x.registrationId]),
      ]),
      [
        [ours.address.name, [[1, ours.registrationId]]],
        [theirs.address.name, [[1, theirs.registrationId]]],
      ],
    );
    const libsignalView = new SealedSenderMultiRecipientMessage(
      ab(sent),
    ).recipientsByServiceIdString();
    for (const r of parsed.recipients) {
      const view = libsignalView[r.serviceId];
      assert.ok(view);
      assert.deepEqual(
        view.deviceIds,
        r.devices.map((x) => x.deviceId),
      );
      const received = receivedMessageFor(parsed, r);
      assert.deepEqual(
        ab(received),
        new SealedSenderMultiRecipientMessage(ab(sent)).messageForRecipient(view),
      );
    }
    const forOurs = receivedMessageFor(parsed, parsed.recipients[0] ?? assert.fail());
    const usmcOurs = sealedSenderDecryptToContent(
      p,
      await ours.stores.identity.getIdentityKeyPair(),
      forOurs,
    );
    assert.equal(usmcOurs.type, SealedContentType.PreKey);
    assert.equal(usmcOurs.contentHint, 2);
    assert.equal(dec(usmcOurs.groupId ?? new Uint8Array()), 'group');
    const forTheirs = receivedMessageFor(parsed, parsed.recipients[1] ?? assert.fail());
    const usmcTheirs = await sealedSenderDecryptToUsmc(ab(forTheirs), theirs.party.identities);
    assert.equal(usmcTheirs.senderCertificate().senderUuid(), sender.address.name);
  });

  test(`${p.backend}: a v2 sent message from us fans out through libsignal's parser to both kinds of recipient`, async () => {
    const d = deployment(p);
    const sender = OurParty.create(p);
    const ours = OurParty.create(p);
    const theirs = new LibsignalPeerParty();
    await establish(sender, ours);
    await establish(sender, theirs);
    const content = createContent({
      type: SealedContentType.Plaintext,
      senderCertificate: parseSenderCertificate(certify(p, d, sender)),
      content: enc('group control'),
      contentHint: 1,
    });
    const excluded = randomUUID();
    const sent = await ourMultiRecipientEncrypt(
      sender.ctx,
      [ours.address, theirs.address],
      content,
      [excluded],
    );
    const view = new SealedSenderMultiRecipientMessage(ab(sent));
    assert.deepEqual(view.excludedRecipientServiceIdStrings(), [excluded]);
    const recipients = view.recipientsByServiceIdString();
    const theirView = recipients[theirs.address.name] ?? assert.fail();
    assert.deepEqual(theirView.registrationIds, [theirs.registrationId]);
    const usmc = await sealedSenderDecryptToUsmc(
      view.messageForRecipient(theirView),
      theirs.party.identities,
    );
    assert.equal(dec(usmc.contents()), 'group control');
    assert.equal(usmc.contentHint(), 1);
    assert.equal(usmc.senderCertificate().senderUuid(), sender.address.name);
    const ourView = recipients[ours.address.name] ?? assert.fail();
    const opened = sealedSenderDecryptToContent(
      p,
      await ours.stores.identity.getIdentityKeyPair(),
      view.messageForRecipient(ourView),
    );
    assert.equal(dec(opened.content), 'group control');
  });
}
