/** A {@link PeerParty} backed by libsignal-client 0.103.0, for the JSON-lines peer and the tests. */
import {
  CiphertextMessageType,
  KEMPublicKey,
  PreKeyBundle,
  ProtocolAddress,
  PublicKey,
  SenderCertificate,
  SignalMessage,
  UnidentifiedSenderMessageContent,
  processPreKeyBundle,
  sealedSenderDecryptMessage,
  sealedSenderEncryptMessage,
  sealedSenderMultiRecipientEncrypt,
  sealedSenderMultiRecipientMessageForSingleRecipient,
  signalDecrypt,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import type {
  Address,
  PartyInit,
  PeerParty,
  SpqrEpochPair,
  Unsealed,
  WireBundle,
} from '@parley/interop-peer/peer-protocol';
import { parsePreKeySignalMessage, parseSignalMessage, parseSpqrMessage } from '@parley/protocol';
import { LibsignalParty, ab } from './libsignal-parties.js';

const addr = (a: Address): ProtocolAddress => ProtocolAddress.new(a.name, a.deviceId);
const key = (a: Address): string => `${a.name}.${a.deviceId}`;

/** The SPQR epoch a message carries (libsignal exposes none, so we read it off the wire). */
export function spqrEpochOf(type: number, ciphertext: Uint8Array): number {
  const inner =
    type === 3 ? parsePreKeySignalMessage(ciphertext).message : parseSignalMessage(ciphertext);
  const m = parseSpqrMessage(inner.pqRatchet);
  if (m === undefined) throw new Error('message without a V1 SPQR message');
  return m.epoch;
}

export class LibsignalPeerParty implements PeerParty {
  readonly party: LibsignalParty;
  readonly address: Address;
  readonly identityKey: Uint8Array;
  readonly registrationId: number;
  /** SPQR epochs of the messages this party sent and received, per peer. */
  readonly #epochs = new Map<string, SpqrEpochPair>();

  constructor(init: Partial<PartyInit> = {}) {
    this.party = new LibsignalParty(init.deviceId ?? 1, init.name, init.registrationId);
    this.address = { name: this.party.address.name(), deviceId: this.party.address.deviceId() };
    this.identityKey = this.party.identity.publicKey.serialize();
    this.registrationId = this.party.registrationId;
  }

  /** A fresh bundle; `kyber` makes libsignal hold (and sign) that raw Kyber1024 key pair. */
  async bundle(
    oneTime: boolean,
    kyber?: { publicKey: Uint8Array; secretKey: Uint8Array },
  ): Promise<WireBundle> {
    const { bundle } = await this.party.publishBundle({
      oneTimePreKey: oneTime,
      ...(kyber && { kyber }),
    });
    const preKeyId = bundle.preKeyId();
    const preKey = bundle.preKeyPublic();
    return {
      name: this.address.name,
      deviceId: this.address.deviceId,
      registrationId: bundle.registrationId(),
      identityKey: bundle.identityKey().serialize(),
      signedPreKeyId: bundle.signedPreKeyId(),
      signedPreKey: bundle.signedPreKeyPublic().serialize(),
      signedPreKeySignature: bundle.signedPreKeySignature(),
      preKeyId: preKeyId ?? undefined,
      preKey: preKey?.serialize(),
      kyberPreKeyId: bundle.kyberPreKeyId(),
      kyberPreKey: bundle.kyberPreKeyPublic().serialize(),
      kyberPreKeySignature: bundle.kyberPreKeySignature(),
    };
  }

  async processBundle(w: WireBundle): Promise<void> {
    const bundle = PreKeyBundle.new(
      w.registrationId,
      w.deviceId,
      w.preKeyId ?? null,
      w.preKey === undefined ? null : PublicKey.deserialize(ab(w.preKey)),
      w.signedPreKeyId,
      PublicKey.deserialize(ab(w.signedPreKey)),
      ab(w.signedPreKeySignature),
      PublicKey.deserialize(ab(w.identityKey)),
      w.kyberPreKeyId,
      KEMPublicKey.deserialize(ab(w.kyberPreKey)),
      ab(w.kyberPreKeySignature),
    );
    const p = this.party;
    await processPreKeyBundle(
      bundle,
      addr({ name: w.name, deviceId: w.deviceId }),
      p.address,
      p.sessions,
      p.identities,
    );
  }

  async encrypt(
    to: Address,
    plaintext: Uint8Array,
  ): Promise<{ type: 2 | 3; ciphertext: Uint8Array }> {
    const p = this.party;
    const m = await signalEncrypt(ab(plaintext), addr(to), p.address, p.sessions, p.identities);
    const type = m.type() === (CiphertextMessageType.PreKey as number) ? 3 : 2;
    const ciphertext = m.serialize();
    const seen = this.#epochs.get(key(to)) ?? { sending: 0, receiving: 0 };
    this.#epochs.set(key(to), { ...seen, sending: spqrEpochOf(type, ciphertext) });
    return { type, ciphertext };
  }

  async decrypt(from: Address, type: number, ciphertext: Uint8Array): Promise<Uint8Array> {
    const p = this.party;
    if (type !== 2 && type !== 3)
      throw Object.assign(new Error('unknown message type'), { code: 'INVALID_REQUEST' });
    const plaintext =
      type === 3
        ? await p.decryptPreKey(addr(from), ciphertext)
        : await signalDecrypt(
            SignalMessage.deserialize(ab(ciphertext)),
            addr(from),
            p.address,
            p.sessions,
            p.identities,
          );
    const seen = this.#epochs.get(key(from)) ?? { sending: 0, receiving: 0 };
    const epoch = spqrEpochOf(type, ciphertext);
    this.#epochs.set(key(from), { ...seen, receiving: Math.max(seen.receiving, epoch) });
    return plaintext;
  }

  async hasSession(peer: Address): Promise<boolean> {
    const record = await this.party.sessions.getSession(addr(peer));
    return record?.hasCurrentState() ?? false;
  }

  async spqrEpochs(peer: Address): Promise<SpqrEpochPair | undefined> {
    if (!(await this.hasSession(peer))) return undefined;
    return this.#epochs.get(key(peer)) ?? { sending: 0, receiving: 0 };
  }

  async seal(
    to: Address,
    plaintext: Uint8Array,
    senderCertificate: Uint8Array,
    version: 1 | 2,
  ): Promise<Uint8Array> {
    const p = this.party;
    const certificate = SenderCertificate.deserialize(ab(senderCertificate));
    if (version === 1) {
      return sealedSenderEncryptMessage(
        ab(plaintext),
        addr(to),
        certificate,
        p.sessions,
        p.identities,
      );
    }
    const message = await signalEncrypt(
      ab(plaintext),
      addr(to),
      p.address,
      p.sessions,
      p.identities,
    );
    const content = UnidentifiedSenderMessageContent.new(message, certificate, 0, null);
    const sent = await sealedSenderMultiRecipientEncrypt({
      content,
      recipients: [addr(to)],
      identityStore: p.identities,
      sessionStore: p.sessions,
    });
    return sealedSenderMultiRecipientMessageForSingleRecipient(sent);
  }

  async unseal(sealed: Uint8Array, trustRoot: Uint8Array, now: number): Promise<Unsealed> {
    const p = this.party;
    const r = await sealedSenderDecryptMessage(
      ab(sealed),
      PublicKey.deserialize(ab(trustRoot)),
      now,
      null,
      this.address.name,
      this.address.deviceId,
      p.sessions,
      p.identities,
      p.preKeys,
      p.signedPreKeys,
      p.kyberPreKeys,
    );
    return { sender: { name: r.senderUuid(), deviceId: r.deviceId() }, plaintext: r.message() };
  }
}
