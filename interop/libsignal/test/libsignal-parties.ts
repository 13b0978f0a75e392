/**
 * libsignal-client 0.103.0 parties for the interop tests: in-memory stores (records kept
 * serialized, as an app keeps them), bundle publication and the three calls the tests need.
 */
import { randomUUID } from 'node:crypto';
import {
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMPublicKey,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  KEMKeyPair,
  processPreKeyBundle,
  signalDecryptPreKey,
  signalEncrypt,
  CiphertextMessageType,
} from '@signalapp/libsignal-client';
import { ProtoWriter, concatBytes } from '@parley/bytes';

/** Type bytes of serialized Curve25519 and Kyber1024 keys (spec §1). */
export const EC_KEY_TYPE = 0x05;
export const KYBER_KEY_TYPE = 0x08;

/** `type ‖ raw`, the libsignal serialization of a typed key or ciphertext. */
export function typed(type: number, raw: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(type), raw);
}

/** Strips and checks the type byte. */
export function untyped(type: number, bytes: Uint8Array): Uint8Array {
  if (bytes[0] !== type) throw new Error(`expected type byte ${type}, got ${String(bytes[0])}`);
  return bytes.subarray(1);
}

/** A copy backed by a plain ArrayBuffer, which is what libsignal's typings ask for. */
export const ab = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

const done = Promise.resolve();

class Sessions extends SessionStore {
  readonly #records = new Map<string, Uint8Array<ArrayBuffer>>();
  override saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.#records.set(name.toString(), record.serialize());
    return done;
  }
  override getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const bytes = this.#records.get(name.toString());
    return Promise.resolve(bytes ? SessionRecord.deserialize(bytes) : null);
  }
  override getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return Promise.all(
      addresses.map(async (a) => {
        const s = await this.getSession(a);
        if (!s) throw new Error('no session');
        return s;
      }),
    );
  }
}

/** Trusts every identity; interop is what is under test here, not trust decisions. */
class Identities extends IdentityKeyStore {
  readonly #known = new Map<string, PublicKey>();
  constructor(
    private readonly identity: IdentityKeyPair,
    private readonly registrationId: number,
  ) {
    super();
  }
  override getIdentityKey(): Promise<PrivateKey> {
    return Promise.resolve(this.identity.privateKey);
  }
  override getLocalRegistrationId(): Promise<number> {
    return Promise.resolve(this.registrationId);
  }
  override saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const old = this.#known.get(name.toString());
    this.#known.set(name.toString(), key);
    return Promise.resolve(
      old && !old.equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged,
    );
  }
  override isTrustedIdentity(): Promise<boolean> {
    return Promise.resolve(true);
  }
  override getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return Promise.resolve(this.#known.get(name.toString()) ?? null);
  }
}

/** Serialized records by id, as the three prekey stores keep them. */
class RecordMap<R extends { serialize(): Uint8Array<ArrayBuffer> }> {
  readonly records = new Map<number, Uint8Array<ArrayBuffer>>();
  constructor(
    private readonly kind: string,
    private readonly deserialize: (bytes: Uint8Array<ArrayBuffer>) => R,
  ) {}
  save(id: number, record: R): Promise<void> {
    this.records.set(id, record.serialize());
    return done;
  }
  get(id: number): Promise<R> {
    const bytes = this.records.get(id);
    if (!bytes) return Promise.reject(new Error(`no ${this.kind} ${id}`));
    return Promise.resolve(this.deserialize(bytes));
  }
}

class PreKeys extends PreKeyStore {
  readonly map = new RecordMap('prekey', (b) => PreKeyRecord.deserialize(b));
  override savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    return this.map.save(id, record);
  }
  override getPreKey(id: number): Promise<PreKeyRecord> {
    return this.map.get(id);
  }
  override removePreKey(id: number): Promise<void> {
    this.map.records.delete(id);
    return done;
  }
}

class SignedPreKeys extends SignedPreKeyStore {
  readonly map = new RecordMap('signed prekey', (b) => SignedPreKeyRecord.deserialize(b));
  override saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    return this.map.save(id, record);
  }
  override getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    return this.map.get(id);
  }
}

class KyberPreKeys extends KyberPreKeyStore {
  readonly map = new RecordMap('kyber prekey', (b) => KyberPreKeyRecord.deserialize(b));
  readonly used: number[] = [];
  override saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    return this.map.save(id, record);
  }
  override getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    return this.map.get(id);
  }
  override markKyberPreKeyUsed(id: number): Promise<void> {
    this.used.push(id);
    return done;
  }
}

/**
 * A KyberPreKeyRecord holding a key pair generated outside libsignal. The Node API has no
 * `KEMKeyPair` constructor from bytes (only `generate()`), but `KyberPreKeyRecord.deserialize`
 * takes libsignal's storage protobuf `SignedPreKeyRecordStructure` {1 id, 2 public key,
 * 3 private key, 4 signature, 5 timestamp (fixed64, omitted here)}, each key with its type byte.
 */
export function kyberPreKeyRecordFromRaw(
  id: number,
  publicKey: Uint8Array,
  secretKey: Uint8Array,
  signature: Uint8Array,
): KyberPreKeyRecord {
  return KyberPreKeyRecord.deserialize(
    ab(
      new ProtoWriter()
        .uint32(1, id)
        .bytes(2, typed(KYBER_KEY_TYPE, publicKey))
        .bytes(3, typed(KYBER_KEY_TYPE, secretKey))
        .bytes(4, signature)
        .finish(),
    ),
  );
}

/** What Bob publishes and keeps, with the raw private keys the oracle needs. */
export interface PublishedBundle {
  readonly bundle: PreKeyBundle;
  readonly ids: { signedPreKey: number; kyberPreKey: number; oneTimePreKey: number | undefined };
  readonly raw: {
    readonly identityPrivate: Uint8Array;
    readonly identityPublic: Uint8Array;
    readonly signedPreKeyPrivate: Uint8Array;
    readonly signedPreKeyPublic: Uint8Array;
    readonly oneTimePreKeyPrivate?: Uint8Array;
    readonly oneTimePreKeyPublic?: Uint8Array;
    readonly kyberPublicKey: Uint8Array;
    readonly kyberSecretKey: Uint8Array;
  };
}

let nextId = 1;

export class LibsignalParty {
  readonly address: ProtocolAddress;
  readonly identity = IdentityKeyPair.generate();
  readonly registrationId: number;
  readonly sessions = new Sessions();
  readonly identities: Identities;
  readonly preKeys = new PreKeys();
  readonly signedPreKeys = new SignedPreKeys();
  readonly kyberPreKeys = new KyberPreKeys();

  /** The name is an ACI string, so libsignal binds both addresses into the first message (§4). */
  constructor(deviceId = 1, name: string = randomUUID(), registrationId?: number) {
    this.address = ProtocolAddress.new(name, deviceId);
    this.registrationId = registrationId ?? 1 + Math.floor(Math.random() * 16380);
    this.identities = new Identities(this.identity, this.registrationId);
  }

  /** Raw 32-byte X25519 identity private key. */
  get identityPrivate(): Uint8Array {
    return this.identity.privateKey.serialize();
  }

  get identityPublic(): Uint8Array {
    return untyped(EC_KEY_TYPE, this.identity.publicKey.serialize());
  }

  /**
   * Publishes a bundle. Without `kyber`, libsignal generates the Kyber key pair; with it, the
   * given raw key pair is stored and signed with libsignal's identity key.
   */
  async publishBundle(
    options: {
      kyber?: { publicKey: Uint8Array; secretKey: Uint8Array };
      oneTimePreKey?: boolean;
    } = {},
  ): Promise<PublishedBundle> {
    const signedId = nextId++;
    const kyberId = nextId++;
    const spk = PrivateKey.generate();
    const spkPublic = spk.getPublicKey();
    const spkSignature = this.identity.privateKey.sign(spkPublic.serialize());
    await this.signedPreKeys.saveSignedPreKey(
      signedId,
      SignedPreKeyRecord.new(signedId, Date.now(), spkPublic, spk, spkSignature),
    );

    let kyberRecord: KyberPreKeyRecord;
    if (options.kyber) {
      const kyberPublic = ab(typed(KYBER_KEY_TYPE, options.kyber.publicKey));
      const signature = this.identity.privateKey.sign(kyberPublic);
      kyberRecord = kyberPreKeyRecordFromRaw(
        kyberId,
        options.kyber.publicKey,
        options.kyber.secretKey,
        signature,
      );
    } else {
      const pair = KEMKeyPair.generate();
      const signature = this.identity.privateKey.sign(pair.getPublicKey().serialize());
      kyberRecord = KyberPreKeyRecord.new(kyberId, Date.now(), pair, signature);
    }
    await this.kyberPreKeys.saveKyberPreKey(kyberId, kyberRecord);

    let oneTime: { id: number; priv: PrivateKey; pub: PublicKey } | undefined;
    if (options.oneTimePreKey) {
      const priv = PrivateKey.generate();
      oneTime = { id: nextId++, priv, pub: priv.getPublicKey() };
      await this.preKeys.savePreKey(oneTime.id, PreKeyRecord.new(oneTime.id, oneTime.pub, priv));
    }

    const bundle = PreKeyBundle.new(
      this.registrationId,
      this.address.deviceId(),
      oneTime?.id ?? null,
      oneTime?.pub ?? null,
      signedId,
      spkPublic,
      spkSignature,
      this.identity.publicKey,
      kyberId,
      KEMPublicKey.deserialize(kyberRecord.publicKey().serialize()),
      kyberRecord.signature(),
    );
    return {
      bundle,
      ids: { signedPreKey: signedId, kyberPreKey: kyberId, oneTimePreKey: oneTime?.id },
      raw: {
        identityPrivate: this.identityPrivate,
        identityPublic: this.identityPublic,
        signedPreKeyPrivate: spk.serialize(),
        signedPreKeyPublic: untyped(EC_KEY_TYPE, spkPublic.serialize()),
        ...(oneTime && {
          oneTimePreKeyPrivate: oneTime.priv.serialize(),
          oneTimePreKeyPublic: untyped(EC_KEY_TYPE, oneTime.pub.serialize()),
        }),
        kyberPublicKey: untyped(KYBER_KEY_TYPE, kyberRecord.publicKey().serialize()),
        kyberSecretKey: untyped(KYBER_KEY_TYPE, kyberRecord.secretKey().serialize()),
      },
    };
  }

  /** Processes `peer`'s bundle and encrypts the first message: a serialized PreKeySignalMessage. */
  async startSession(
    peer: LibsignalParty,
    published: PublishedBundle,
    plaintext: Uint8Array,
  ): Promise<Uint8Array> {
    await processPreKeyBundle(
      published.bundle,
      peer.address,
      this.address,
      this.sessions,
      this.identities,
    );
    const message = await signalEncrypt(
      ab(plaintext),
      peer.address,
      this.address,
      this.sessions,
      this.identities,
    );
    if (message.type() !== (CiphertextMessageType.PreKey as number))
      throw new Error('expected a PreKey message');
    return message.serialize();
  }

  /** Decrypts a PreKeySignalMessage from a sender at `from` (identity checked by the store). */
  async decryptPreKey(from: ProtocolAddress, bytes: Uint8Array): Promise<Uint8Array> {
    return signalDecryptPreKey(
      PreKeySignalMessage.deserialize(ab(bytes)),
      from,
      this.address,
      this.sessions,
      this.identities,
      this.preKeys,
      this.signedPreKeys,
      this.kyberPreKeys,
    );
  }
}

/** A sender address for messages the oracle builds (any ACI string works). */
export function newAddress(deviceId = 1): ProtocolAddress {
  return ProtocolAddress.new(randomUUID(), deviceId);
}
