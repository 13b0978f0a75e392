/** A test device over the in-memory stores: publishes bundles, encrypts, decrypts, commits. */
import type { Primitives } from '@parley/primitives';
import {
  commitChanges,
  createInMemoryStores,
  decrypt,
  encrypt,
  generateIdentityKeyPair,
  generateKyberPreKey,
  generatePreKey,
  generateSignedPreKey,
  makeBundle,
  processPreKeyBundle,
  type EncryptedMessage,
  type IdentityKeyPair,
  type InMemoryStores,
  type PreKeyBundle,
  type ProtocolAddress,
  type ProtocolContext,
} from '@parley/protocol';

export const NOW = 1_700_000_000_000;
let nextName = 0;

export class Party {
  readonly stores: InMemoryStores;
  readonly ctx: ProtocolContext;
  readonly address: ProtocolAddress;
  #nextId = 1;

  constructor(
    readonly p: Primitives,
    name = `00000000-0000-4000-8000-${String(++nextName).padStart(12, '0')}`,
    deviceId = 1,
    identity: IdentityKeyPair = generateIdentityKeyPair(p),
  ) {
    this.address = { name, deviceId };
    this.stores = createInMemoryStores(identity, 1000 + (name.length % 1000));
    this.ctx = { primitives: p, stores: this.stores, localAddress: this.address };
  }

  async bundle(oneTime = true): Promise<PreKeyBundle> {
    const identity = await this.stores.identity.getIdentityKeyPair();
    const signedPreKey = generateSignedPreKey(this.p, identity, this.#nextId++, NOW);
    const kyberPreKey = generateKyberPreKey(this.p, identity, this.#nextId++, NOW, false);
    const preKey = oneTime ? generatePreKey(this.p, this.#nextId++) : undefined;
    await this.stores.signedPreKeys.saveSignedPreKey(signedPreKey);
    await this.stores.kyberPreKeys.saveKyberPreKey(kyberPreKey);
    if (preKey) await this.stores.preKeys.savePreKey(preKey);
    return makeBundle({
      registrationId: await this.stores.identity.getLocalRegistrationId(),
      deviceId: this.address.deviceId,
      identity,
      signedPreKey,
      kyberPreKey,
      preKey,
    });
  }

  async connect(peer: Party, oneTime = true): Promise<void> {
    const r = await processPreKeyBundle(this.ctx, peer.address, await peer.bundle(oneTime), NOW);
    await commitChanges(this.stores, r.changes);
  }

  async send(to: Party, text: string): Promise<EncryptedMessage> {
    const r = await encrypt(this.ctx, to.address, new TextEncoder().encode(text), NOW);
    await commitChanges(this.stores, r.changes);
    return r.output;
  }

  async receive(from: Party, m: EncryptedMessage): Promise<string> {
    const r = await decrypt(this.ctx, from.address, m.type, m.serialized);
    await commitChanges(this.stores, r.changes);
    return new TextDecoder().decode(r.output);
  }

  /** Puts the session records of a {@link snapshot} back (prekeys are not restored). */
  restore(snapshot: string): void {
    const { sessions } = JSON.parse(snapshot) as { sessions: [string, string][] };
    this.stores.sessions.records.clear();
    for (const [k, v] of sessions) this.stores.sessions.records.set(k, Buffer.from(v, 'hex'));
  }

  /** A snapshot of every store's contents, to show that a failure changed nothing. */
  snapshot(): string {
    const s = this.stores;
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    return JSON.stringify({
      sessions: [...s.sessions.records].map(([k, v]) => [k, hex(v)]),
      preKeys: [...s.preKeys.records.keys()],
      kyber: [...s.kyberPreKeys.records.keys()],
      used: s.kyberPreKeys.used,
    });
  }
}
