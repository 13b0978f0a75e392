/**
 * libsignal-client 0.103.0's sealed sender calls, for the benchmarks that race ours against it
 * in the same run: a sender with sessions to N single-device recipients, a fixed
 * UnidentifiedSenderMessageContent, and one call per operation.
 */
import {
  ProtocolAddress,
  PublicKey,
  SenderCertificate,
  UnidentifiedSenderMessageContent,
  sealedSenderDecryptToUsmc,
  sealedSenderEncrypt,
  sealedSenderMultiRecipientEncrypt,
  sealedSenderMultiRecipientMessageForSingleRecipient,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import { ab } from './libsignal-parties.js';
import { LibsignalPeerParty } from './libsignal-peer-party.js';

/** What the benchmark needs from one side. */
export interface SealedFixture {
  /** Seals the fixed content to the first recipient (v1). */
  sealV1(): Promise<Uint8Array>;
  /** The first recipient opens a v1 envelope to its content and validates the certificate. */
  unsealV1(sealed: Uint8Array): Promise<void>;
  /** Seals the fixed content once for every recipient (v2, sent form). */
  sealV2(): Promise<Uint8Array>;
  /** The received form of a v2 sent message addressed to the first recipient alone. */
  receivedV2(): Promise<Uint8Array>;
  /** The first recipient opens a received v2 message and validates the certificate. */
  unsealV2(received: Uint8Array): Promise<void>;
}

export interface FixtureInit {
  readonly recipients: number;
  readonly payload: Uint8Array;
  /** `0x05 ‖ root`. */
  readonly trustRoot: Uint8Array;
  /** Makes the serialized sender certificate for the sender's address and identity key. */
  readonly certify: (name: string, deviceId: number, identityKey: Uint8Array) => Uint8Array;
  readonly now: number;
}

const addr = (p: LibsignalPeerParty) => ProtocolAddress.new(p.address.name, p.address.deviceId);

export async function libsignalSealedFixture(init: FixtureInit): Promise<SealedFixture> {
  const sender = new LibsignalPeerParty();
  const recipients = Array.from({ length: init.recipients }, () => new LibsignalPeerParty());
  for (const r of recipients) await sender.processBundle(await r.bundle(false));
  const first = recipients[0];
  if (first === undefined) throw new Error('at least one recipient');
  // One exchange each way, so that the content is an ordinary (Whisper) message.
  const m = await sender.encrypt(first.address, init.payload);
  await first.decrypt(sender.address, m.type, m.ciphertext);
  const reply = await first.encrypt(sender.address, init.payload);
  await sender.decrypt(first.address, reply.type, reply.ciphertext);
  const s = sender.party;
  const message = await signalEncrypt(
    ab(init.payload),
    addr(first),
    s.address,
    s.sessions,
    s.identities,
  );
  const certificate = SenderCertificate.deserialize(
    ab(init.certify(sender.address.name, sender.address.deviceId, sender.identityKey)),
  );
  const content = UnidentifiedSenderMessageContent.new(message, certificate, 0, null);
  const root = PublicKey.deserialize(ab(init.trustRoot));
  const all = recipients.map(addr);
  const open = async (sealed: Uint8Array) => {
    const usmc = await sealedSenderDecryptToUsmc(ab(sealed), first.party.identities);
    if (!usmc.senderCertificate().validate(root, init.now)) throw new Error('invalid certificate');
  };
  return {
    sealV1: () => sealedSenderEncrypt(content, addr(first), s.identities),
    unsealV1: open,
    sealV2: () =>
      sealedSenderMultiRecipientEncrypt({
        content,
        recipients: all,
        identityStore: s.identities,
        sessionStore: s.sessions,
      }),
    receivedV2: async () =>
      sealedSenderMultiRecipientMessageForSingleRecipient(
        await sealedSenderMultiRecipientEncrypt({
          content,
          recipients: [addr(first)],
          identityStore: s.identities,
          sessionStore: s.sessions,
        }),
      ),
    unsealV2: open,
  };
}
