/** A {@link PeerParty} over `@parley/protocol` and in-memory stores. */
import type { Primitives } from '@parley/primitives';
import {
  asKyberPublicKey,
  commitChanges,
  createInMemoryStores,
  decrypt,
  deserializeKyberPublicKey,
  deserializePublicKey,
  encrypt,
  generateIdentityKeyPair,
  generateKyberPreKey,
  generatePreKey,
  generateRegistrationId,
  generateSignedPreKey,
  hasSession,
  SealedContentType,
  createContent,
  makeBundle,
  parseSenderCertificate,
  parseSentMessage,
  processPreKeyBundle,
  receivedMessageFor,
  sealedSenderDecrypt,
  sealedSenderEncrypt,
  sealedSenderMultiRecipientEncrypt,
  serializeKyberPublicKey,
  serializePublicKey,
  spqrEpochs,
  type IdentityKeyPair,
  type InMemoryStores,
  type PreKeyBundle,
  type ProtocolContext,
} from '@parley/protocol';
import type {
  Address,
  PartyInit,
  PeerParty,
  SpqrEpochPair,
  Unsealed,
  WireBundle,
} from './peer-protocol.js';

export function toWireBundle(name: string, b: PreKeyBundle): WireBundle {
  return {
    name,
    deviceId: b.deviceId,
    registrationId: b.registrationId,
    identityKey: serializePublicKey(b.identityKey),
    signedPreKeyId: b.signedPreKey.id,
    signedPreKey: serializePublicKey(b.signedPreKey.publicKey),
    signedPreKeySignature: b.signedPreKey.signature,
    preKeyId: b.preKey?.id,
    preKey: b.preKey && serializePublicKey(b.preKey.publicKey),
    kyberPreKeyId: b.kyberPreKey.id,
    kyberPreKey: serializeKyberPublicKey(b.kyberPreKey.publicKey),
    kyberPreKeySignature: b.kyberPreKey.signature,
  };
}

export function fromWireBundle(w: WireBundle): PreKeyBundle {
  return {
    registrationId: w.registrationId,
    deviceId: w.deviceId,
    identityKey: deserializePublicKey(w.identityKey),
    signedPreKey: {
      id: w.signedPreKeyId,
      publicKey: deserializePublicKey(w.signedPreKey),
      signature: w.signedPreKeySignature,
    },
    preKey:
      w.preKeyId === undefined || w.preKey === undefined
        ? undefined
        : { id: w.preKeyId, publicKey: deserializePublicKey(w.preKey) },
    kyberPreKey: {
      id: w.kyberPreKeyId,
      publicKey: asKyberPublicKey(deserializeKyberPublicKey(w.kyberPreKey)),
      signature: w.kyberPreKeySignature,
    },
  };
}

/** A random-looking ACI name, so that the `addresses` binding is exercised. */
function defaultName(p: Primitives): string {
  const h = Array.from(p.randomBytes(16), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class OurParty implements PeerParty {
  readonly address: Address;
  readonly stores: InMemoryStores;
  readonly ctx: ProtocolContext;
  readonly identityKey: Uint8Array;
  #nextId = 1;

  private constructor(
    private readonly p: Primitives,
    private readonly identity: IdentityKeyPair,
    readonly registrationId: number,
    address: Address,
    private readonly clock: () => number,
  ) {
    this.address = address;
    this.stores = createInMemoryStores(identity, registrationId);
    this.ctx = { primitives: p, stores: this.stores, localAddress: address };
    this.identityKey = serializePublicKey(identity.publicKey);
  }

  static create(p: Primitives, init: Partial<PartyInit> = {}, clock = Date.now): OurParty {
    return new OurParty(
      p,
      generateIdentityKeyPair(p),
      init.registrationId ?? generateRegistrationId(p),
      { name: init.name ?? defaultName(p), deviceId: init.deviceId ?? 1 },
      clock,
    );
  }

  /** A fresh bundle; with `lastResortKyber` its Kyber prekey survives use (benchmarks reuse it). */
  async bundle(oneTime: boolean, lastResortKyber = false): Promise<WireBundle> {
    const now = this.clock();
    const signedPreKey = generateSignedPreKey(this.p, this.identity, this.#nextId++, now);
    const kyberPreKey = generateKyberPreKey(
      this.p,
      this.identity,
      this.#nextId++,
      now,
      lastResortKyber,
    );
    const preKey = oneTime ? generatePreKey(this.p, this.#nextId++) : undefined;
    await this.stores.signedPreKeys.saveSignedPreKey(signedPreKey);
    await this.stores.kyberPreKeys.saveKyberPreKey(kyberPreKey);
    if (preKey) await this.stores.preKeys.savePreKey(preKey);
    const bundle = makeBundle({
      registrationId: this.registrationId,
      deviceId: this.address.deviceId,
      identity: this.identity,
      signedPreKey,
      kyberPreKey,
      preKey,
    });
    return toWireBundle(this.address.name, bundle);
  }

  async processBundle(w: WireBundle): Promise<void> {
    const remote = { name: w.name, deviceId: w.deviceId };
    const r = await processPreKeyBundle(this.ctx, remote, fromWireBundle(w), this.clock());
    await commitChanges(this.stores, r.changes);
  }

  async encrypt(
    to: Address,
    plaintext: Uint8Array,
  ): Promise<{ type: 2 | 3; ciphertext: Uint8Array }> {
    const r = await encrypt(this.ctx, to, plaintext, this.clock());
    await commitChanges(this.stores, r.changes);
    return { type: r.output.type, ciphertext: r.output.serialized };
  }

  async decrypt(from: Address, type: number, ciphertext: Uint8Array): Promise<Uint8Array> {
    const r = await decrypt(this.ctx, from, type, ciphertext);
    await commitChanges(this.stores, r.changes);
    return r.output;
  }

  hasSession(peer: Address): Promise<boolean> {
    return hasSession(this.ctx, peer);
  }

  async spqrEpochs(peer: Address): Promise<SpqrEpochPair | undefined> {
    const state = (await this.stores.sessions.loadSession(peer))?.current;
    if (state === undefined) return undefined;
    const { sending, receiving } = spqrEpochs(state.spqr);
    return { sending, receiving };
  }

  async seal(
    to: Address,
    plaintext: Uint8Array,
    senderCertificate: Uint8Array,
    version: 1 | 2,
  ): Promise<Uint8Array> {
    const certificate = parseSenderCertificate(senderCertificate);
    if (version === 1) {
      const r = await sealedSenderEncrypt(this.ctx, to, certificate, plaintext, this.clock());
      await commitChanges(this.stores, r.changes);
      return r.output;
    }
    const r = await encrypt(this.ctx, to, plaintext, this.clock());
    const content = createContent({
      type: r.output.type === 3 ? SealedContentType.PreKey : SealedContentType.Whisper,
      senderCertificate: certificate,
      content: r.output.serialized,
    });
    const sent = parseSentMessage(await sealedSenderMultiRecipientEncrypt(this.ctx, [to], content));
    const recipient = sent.recipients[0];
    if (recipient === undefined) throw new Error('sent message without its recipient');
    await commitChanges(this.stores, r.changes);
    return receivedMessageFor(sent, recipient);
  }

  async unseal(sealed: Uint8Array, trustRoot: Uint8Array, now: number): Promise<Unsealed> {
    const r = await sealedSenderDecrypt(this.ctx, sealed, {
      trustRoot: deserializePublicKey(trustRoot),
      now,
    });
    await commitChanges(this.stores, r.changes);
    return { sender: r.output.sender, plaintext: r.output.plaintext };
  }
}
