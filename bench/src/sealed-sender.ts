/**
 * Sealed sender, ours (node and noble backends) against libsignal-client 0.103.0 in the same
 * run. Seal rows wrap a fixed UnidentifiedSenderMessageContent (a 100-byte message's Whisper
 * ciphertext and a sender certificate); unseal rows open an envelope to that content and
 * validate the certificate chain and expiry, which is the part sealed sender adds to a
 * decryption. v2 seals one content for 1, 10 or 100 single-device recipients (one session and
 * one stored identity each); both sides load every session record from their store.
 */
import type { Primitives } from '@parley/primitives';
import { OurParty } from '@parley/interop-peer/our-party';
import {
  libsignalSealedFixture,
  type FixtureInit,
  type SealedFixture,
} from '@parley/interop-libsignal/sealed';
import {
  SealedContentType,
  createContent,
  createSenderCertificate,
  createServerCertificate,
  deserializePublicKey,
  generateKeyPair,
  parseSenderCertificate,
  parseSentMessage,
  receivedMessageFor,
  sealedSenderDecryptToContent,
  sealedSenderEncryptContent,
  sealedSenderMultiRecipientEncrypt,
  serializePublicKey,
  validateSenderCertificate,
} from '@parley/protocol';
import type { Benchmark } from './harness.js';

const PAYLOAD = new Uint8Array(100).fill(0x61);
const V2_RECIPIENTS = [1, 10, 100] as const;
const HOUR = 3_600_000;

async function ourSealedFixture(p: Primitives, init: FixtureInit): Promise<SealedFixture> {
  const sender = OurParty.create(p);
  const recipients = Array.from({ length: init.recipients }, () => OurParty.create(p));
  for (const r of recipients) await sender.processBundle(await r.bundle(false));
  const first = recipients[0];
  if (first === undefined) throw new Error('at least one recipient');
  const m = await sender.encrypt(first.address, init.payload);
  await first.decrypt(sender.address, m.type, m.ciphertext);
  const reply = await first.encrypt(sender.address, init.payload);
  await sender.decrypt(first.address, reply.type, reply.ciphertext);
  const message = await sender.encrypt(first.address, init.payload);
  const content = createContent({
    type: SealedContentType.Whisper,
    senderCertificate: parseSenderCertificate(
      init.certify(sender.address.name, sender.address.deviceId, sender.identityKey),
    ),
    content: message.ciphertext,
  });
  const root = deserializePublicKey(init.trustRoot);
  const all = recipients.map((r) => r.address);
  const open = async (sealed: Uint8Array) => {
    const us = await first.stores.identity.getIdentityKeyPair();
    const usmc = sealedSenderDecryptToContent(p, us, sealed);
    validateSenderCertificate(p, usmc.senderCertificate, root, init.now);
  };
  return {
    sealV1: () => sealedSenderEncryptContent(sender.ctx, first.address, content),
    unsealV1: open,
    sealV2: () => sealedSenderMultiRecipientEncrypt(sender.ctx, all, content),
    receivedV2: async () => {
      const sent = parseSentMessage(
        await sealedSenderMultiRecipientEncrypt(sender.ctx, [first.address], content),
      );
      const r = sent.recipients[0];
      if (r === undefined) throw new Error('no recipient');
      return receivedMessageFor(sent, r);
    },
    unsealV2: open,
  };
}

interface Side {
  readonly subject: string;
  fixture(init: FixtureInit): Promise<SealedFixture>;
}

function benchmarks(side: Side, init: (recipients: number) => FixtureInit): Benchmark[] {
  const cache = new Map<number, Promise<SealedFixture>>();
  const fixture = (n: number) => {
    let f = cache.get(n);
    if (f === undefined) {
      f = side.fixture(init(n));
      cache.set(n, f);
    }
    return f;
  };
  let v1: Uint8Array | undefined;
  let v2: Uint8Array | undefined;
  const { subject } = side;
  return [
    {
      group: 'protocol sealed v1 seal',
      subject,
      run: async () => (await fixture(1)).sealV1(),
    },
    {
      group: 'protocol sealed v1 unseal',
      subject,
      run: async () => {
        const f = await fixture(1);
        v1 ??= await f.sealV1();
        await f.unsealV1(v1);
      },
    },
    ...V2_RECIPIENTS.map((n): Benchmark => ({
      group: `protocol sealed v2 seal ×${n}`,
      subject,
      run: async () => (await fixture(n)).sealV2(),
    })),
    {
      group: 'protocol sealed v2 unseal',
      subject,
      run: async () => {
        const f = await fixture(1);
        v2 ??= await f.receivedV2();
        await f.unsealV2(v2);
      },
    },
  ];
}

/** libsignal first in each group, so that ratios read "ours / libsignal". */
export function sealedSenderBenchmarks(node: Primitives, noble: Primitives): Benchmark[] {
  // One deployment for the run; certificates are ours (libsignal validates them the same way).
  const root = generateKeyPair(node);
  const serverKey = generateKeyPair(node);
  const server = createServerCertificate(node, 1, serverKey.publicKey, root.privateKey);
  const now = Date.now();
  const init = (recipients: number): FixtureInit => ({
    recipients,
    payload: PAYLOAD,
    trustRoot: serializePublicKey(root.publicKey),
    now,
    certify: (name, deviceId, identityKey) =>
      createSenderCertificate(
        node,
        {
          senderUuid: name,
          senderDeviceId: deviceId,
          expiration: now + HOUR,
          identityKey: deserializePublicKey(identityKey),
        },
        server,
        serverKey.privateKey,
      ).serialized,
  });
  const sides: Side[] = [
    { subject: 'libsignal', fixture: libsignalSealedFixture },
    ...[node, noble].map((p) => ({
      subject: `ours-${p.backend}`,
      fixture: (i: FixtureInit) => ourSealedFixture(p, i),
    })),
  ];
  const lists = sides.map((s) => benchmarks(s, init));
  const groups = lists[0]?.map((b) => b.group) ?? [];
  return groups.flatMap((g) => lists.flatMap((list) => list.filter((b) => b.group === g)));
}
