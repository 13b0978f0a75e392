import { constantTimeEqual } from '@parley/bytes';
import { addressKey, type ProtocolAddress } from './address.js';
import type { IdentityKeyPair, PublicKey } from './keys.js';
import type { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord } from './prekeys.js';
import {
  deserializeKyberPreKeyRecord,
  deserializePreKeyRecord,
  deserializeSignedPreKeyRecord,
  serializeKyberPreKeyRecord,
  serializePreKeyRecord,
  serializeSignedPreKeyRecord,
} from './prekey-format.js';
import { deserializeSessionRecord, serializeSessionRecord } from './record-format.js';
import type { SessionRecord } from './session-record.js';
import type {
  IdentityKeyStore,
  KyberPreKeyStore,
  PreKeyStore,
  ProtocolStores,
  SessionStore,
  SignedPreKeyStore,
} from './stores.js';

/** Identities trusted on first use: a key is trusted if none is known or it is the known one. */
export class InMemoryIdentityKeyStore implements IdentityKeyStore {
  readonly #known = new Map<string, PublicKey>();

  constructor(
    private readonly identity: IdentityKeyPair,
    private readonly registrationId: number,
  ) {}

  getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return Promise.resolve(this.identity);
  }
  getLocalRegistrationId(): Promise<number> {
    return Promise.resolve(this.registrationId);
  }
  isTrustedIdentity(address: ProtocolAddress, key: PublicKey): Promise<boolean> {
    const known = this.#known.get(addressKey(address));
    return Promise.resolve(known === undefined || constantTimeEqual(known, key));
  }
  saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<void> {
    this.#known.set(addressKey(address), key);
    return Promise.resolve();
  }
  getIdentity(address: ProtocolAddress): Promise<PublicKey | undefined> {
    return Promise.resolve(this.#known.get(addressKey(address)));
  }
}

/** Keeps each prekey record serialized, as a database would, so every read parses it. */
export class InMemoryPreKeyStore implements PreKeyStore {
  readonly records = new Map<number, Uint8Array>();
  getPreKey(id: number): Promise<PreKeyRecord | undefined> {
    const bytes = this.records.get(id);
    return Promise.resolve(bytes && deserializePreKeyRecord(bytes));
  }
  savePreKey(record: PreKeyRecord): Promise<void> {
    this.records.set(record.id, serializePreKeyRecord(record));
    return Promise.resolve();
  }
  removePreKey(id: number): Promise<void> {
    this.records.delete(id);
    return Promise.resolve();
  }
}

export class InMemorySignedPreKeyStore implements SignedPreKeyStore {
  readonly records = new Map<number, Uint8Array>();
  getSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined> {
    const bytes = this.records.get(id);
    return Promise.resolve(bytes && deserializeSignedPreKeyRecord(bytes));
  }
  saveSignedPreKey(record: SignedPreKeyRecord): Promise<void> {
    this.records.set(record.id, serializeSignedPreKeyRecord(record));
    return Promise.resolve();
  }
}

export class InMemoryKyberPreKeyStore implements KyberPreKeyStore {
  readonly records = new Map<number, Uint8Array>();
  /** Ids reported used, in order (tests read it). */
  readonly used: number[] = [];
  getKyberPreKey(id: number): Promise<KyberPreKeyRecord | undefined> {
    const bytes = this.records.get(id);
    return Promise.resolve(bytes && deserializeKyberPreKeyRecord(bytes));
  }
  saveKyberPreKey(record: KyberPreKeyRecord): Promise<void> {
    this.records.set(record.id, serializeKyberPreKeyRecord(record));
    return Promise.resolve();
  }
  async markKyberPreKeyUsed(id: number): Promise<void> {
    this.used.push(id);
    const record = await this.getKyberPreKey(id);
    if (record?.lastResort === false) this.records.delete(id);
  }
}

/** Keeps each record serialized, as a real client's database does, so every load parses it. */
export class InMemorySessionStore implements SessionStore {
  readonly records = new Map<string, Uint8Array>();
  loadSession(address: ProtocolAddress): Promise<SessionRecord | undefined> {
    const bytes = this.records.get(addressKey(address));
    return Promise.resolve(bytes === undefined ? undefined : deserializeSessionRecord(bytes));
  }
  storeSession(address: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.records.set(addressKey(address), serializeSessionRecord(record));
    return Promise.resolve();
  }
}

export interface InMemoryStores extends ProtocolStores {
  readonly identity: InMemoryIdentityKeyStore;
  readonly preKeys: InMemoryPreKeyStore;
  readonly signedPreKeys: InMemorySignedPreKeyStore;
  readonly kyberPreKeys: InMemoryKyberPreKeyStore;
  readonly sessions: InMemorySessionStore;
}

export function createInMemoryStores(
  identity: IdentityKeyPair,
  registrationId: number,
): InMemoryStores {
  return {
    identity: new InMemoryIdentityKeyStore(identity, registrationId),
    preKeys: new InMemoryPreKeyStore(),
    signedPreKeys: new InMemorySignedPreKeyStore(),
    kyberPreKeys: new InMemoryKyberPreKeyStore(),
    sessions: new InMemorySessionStore(),
  };
}
