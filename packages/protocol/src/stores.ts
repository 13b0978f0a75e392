import type { ProtocolAddress } from './address.js';
import type { IdentityKeyPair, PublicKey } from './keys.js';
import type { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord } from './prekeys.js';
import type { SessionRecord } from './session-record.js';

export type Direction = 'sending' | 'receiving';

export interface IdentityKeyStore {
  getIdentityKeyPair(): Promise<IdentityKeyPair>;
  getLocalRegistrationId(): Promise<number>;
  /** Whether `key` may be used for `address` (trust on first use, or the app's own policy). */
  isTrustedIdentity(
    address: ProtocolAddress,
    key: PublicKey,
    direction: Direction,
  ): Promise<boolean>;
  saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<void>;
  getIdentity(address: ProtocolAddress): Promise<PublicKey | undefined>;
}

export interface PreKeyStore {
  getPreKey(id: number): Promise<PreKeyRecord | undefined>;
  savePreKey(record: PreKeyRecord): Promise<void>;
  removePreKey(id: number): Promise<void>;
}

export interface SignedPreKeyStore {
  getSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined>;
  saveSignedPreKey(record: SignedPreKeyRecord): Promise<void>;
}

export interface KyberPreKeyStore {
  getKyberPreKey(id: number): Promise<KyberPreKeyRecord | undefined>;
  saveKyberPreKey(record: KyberPreKeyRecord): Promise<void>;
  /** Called once a PreKey message naming it was accepted; one-time keys are removed here. */
  markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void>;
}

export interface SessionStore {
  loadSession(address: ProtocolAddress): Promise<SessionRecord | undefined>;
  storeSession(address: ProtocolAddress, record: SessionRecord): Promise<void>;
}

/** The five stores a device needs, composed. */
export interface ProtocolStores {
  readonly identity: IdentityKeyStore;
  readonly preKeys: PreKeyStore;
  readonly signedPreKeys: SignedPreKeyStore;
  readonly kyberPreKeys: KyberPreKeyStore;
  readonly sessions: SessionStore;
}
