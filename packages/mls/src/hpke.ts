import { concatBytes, uint16BE, utf8Encode } from '@parley/bytes';
import type { KeyPair, Primitives } from '@parley/primitives';
import type { CipherSuite } from './cipher-suite.js';
import { MlsError } from './errors.js';

/**
 * HPKE (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256), as MLS uses it: single-shot
 * seal and open of one message, DeriveKeyPair, and the exporter of a sender context (external
 * commits). Everything is composed from the synchronous `Primitives`.
 */

const VERSION = utf8Encode('HPKE-v1');
const EMPTY = new Uint8Array(0);
const MODE_BASE = 0x00;

/** An HPKE encryption: the encapsulated key and the AEAD ciphertext. */
export interface HpkeSealed {
  readonly enc: Uint8Array;
  readonly ciphertext: Uint8Array;
}

interface HpkeContext {
  readonly key: Uint8Array;
  readonly baseNonce: Uint8Array;
  /** The key schedule's `secret`, from which the exporter secret is derived when needed. */
  readonly secret: Uint8Array;
  readonly scheduleContext: Uint8Array;
}

/**
 * `info` prepared for the key schedule (RFC 9180 §5.1: mode ‖ psk_id_hash ‖ info_hash), made by
 * {@link Hpke.prepareInfo}. Sealing many messages under the same `info` (a Welcome's
 * GroupSecrets, whose info holds the whole encrypted GroupInfo, or one UpdatePath's
 * ciphertexts) hashes it once instead of once per recipient.
 */
export interface HpkeInfo {
  readonly scheduleContext: Uint8Array;
}

const label = (text: string): Uint8Array => utf8Encode(text);

/** HPKE for one cipher suite over one backend. */
export class Hpke {
  private readonly kemSuiteId: Uint8Array;
  private readonly hpkeSuiteId: Uint8Array;
  /** psk_id_hash of base mode (no PSK id), the same for every message; made on first use. */
  private pskIdHash: Uint8Array | undefined;

  constructor(
    private readonly p: Primitives,
    private readonly suite: CipherSuite,
  ) {
    const { kemId, kdfId, aeadId } = suite.hpke;
    this.kemSuiteId = concatBytes(label('KEM'), uint16BE(kemId));
    this.hpkeSuiteId = concatBytes(
      label('HPKE'),
      uint16BE(kemId),
      uint16BE(kdfId),
      uint16BE(aeadId),
    );
  }

  /** DeriveKeyPair(ikm) (RFC 9180 §7.1.3): the X25519 key pair derived from `ikm`. */
  deriveKeyPair(ikm: Uint8Array): KeyPair {
    const prk = this.labeledExtract(this.kemSuiteId, new Uint8Array(0), 'dkp_prk', ikm);
    const privateKey = this.labeledExpand(
      this.kemSuiteId,
      prk,
      'sk',
      new Uint8Array(0),
      this.suite.kemKeyLength,
    );
    return { privateKey, publicKey: this.p.x25519.publicKey(privateKey) };
  }

  /**
   * `info` hashed once for the key schedule, to pass to {@link seal} or {@link open} in its
   * place when several messages share it.
   */
  prepareInfo(info: Uint8Array): HpkeInfo {
    const id = this.hpkeSuiteId;
    this.pskIdHash ??= this.labeledExtract(id, EMPTY, 'psk_id_hash', EMPTY);
    const infoHash = this.labeledExtract(id, EMPTY, 'info_hash', info);
    return { scheduleContext: concatBytes(Uint8Array.of(MODE_BASE), this.pskIdHash, infoHash) };
  }

  /**
   * SealBase(pkR, info, aad, pt). `ephemeral` is the sender's key pair, which must be fresh
   * for every message (known-answer tests give it, and `MlsCrypto.encryptorWithLabel` makes it
   * from randomness drawn for many messages at once); by default one is generated. `info` may
   * be given prepared ({@link prepareInfo}).
   */
  seal(
    publicKey: Uint8Array,
    info: Uint8Array | HpkeInfo,
    aad: Uint8Array,
    plaintext: Uint8Array,
    ephemeral?: KeyPair,
  ): HpkeSealed {
    const { enc, context } = this.setupSender(publicKey, info, ephemeral);
    const ciphertext = this.p.aead[this.suite.aead].seal(
      context.key,
      context.baseNonce,
      plaintext,
      aad,
    );
    return { enc, ciphertext };
  }

  /**
   * OpenBase(enc, skR, info, aad, ct); throws `DECRYPT_FAILED` on any failure. Passing the
   * recipient's public key, when the caller knows it, saves deriving it (one X25519 operation);
   * a wrong one makes decryption fail.
   */
  open(
    enc: Uint8Array,
    privateKey: Uint8Array,
    info: Uint8Array | HpkeInfo,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    publicKey?: Uint8Array,
  ): Uint8Array {
    try {
      const context = this.setupReceiver(enc, privateKey, info, publicKey);
      return this.p.aead[this.suite.aead].open(context.key, context.baseNonce, ciphertext, aad);
    } catch {
      throw new MlsError('DECRYPT_FAILED', 'HPKE decryption failed');
    }
  }

  /** SetupBaseS then Export(exporterContext, length): returns `enc` and the exported secret. */
  sendExport(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
    ephemeral?: KeyPair,
  ): { readonly enc: Uint8Array; readonly secret: Uint8Array } {
    const { enc, context } = this.setupSender(publicKey, info, ephemeral);
    return { enc, secret: this.export(context, exporterContext, length) };
  }

  /** SetupBaseR then Export(exporterContext, length). */
  receiveExport(
    enc: Uint8Array,
    privateKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Uint8Array {
    return this.export(this.setupReceiver(enc, privateKey, info), exporterContext, length);
  }

  private setupSender(
    publicKey: Uint8Array,
    info: Uint8Array | HpkeInfo,
    ephemeral?: KeyPair,
  ): { enc: Uint8Array; context: HpkeContext } {
    this.checkKey(publicKey, 'HPKE public key');
    const e = ephemeral ?? this.p.x25519.generateKeyPair();
    const dh = this.p.x25519.sharedSecret(e.privateKey, publicKey);
    const enc = e.publicKey;
    const sharedSecret = this.extractAndExpand(dh, concatBytes(enc, publicKey));
    return { enc, context: this.keySchedule(sharedSecret, info) };
  }

  private setupReceiver(
    enc: Uint8Array,
    privateKey: Uint8Array,
    info: Uint8Array | HpkeInfo,
    publicKey?: Uint8Array,
  ): HpkeContext {
    this.checkKey(enc, 'HPKE encapsulated key');
    this.checkKey(privateKey, 'HPKE private key');
    const dh = this.p.x25519.sharedSecret(privateKey, enc);
    const kemContext = concatBytes(enc, publicKey ?? this.p.x25519.publicKey(privateKey));
    return this.keySchedule(this.extractAndExpand(dh, kemContext), info);
  }

  private checkKey(key: Uint8Array, what: string): void {
    if (key.length !== this.suite.kemKeyLength) {
      throw new MlsError('INVALID_ENCODING', `${what} must be ${this.suite.kemKeyLength} bytes`);
    }
  }

  private extractAndExpand(dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
    const prk = this.labeledExtract(this.kemSuiteId, EMPTY, 'eae_prk', dh);
    return this.labeledExpand(
      this.kemSuiteId,
      prk,
      'shared_secret',
      kemContext,
      this.suite.kemKeyLength,
    );
  }

  private keySchedule(sharedSecret: Uint8Array, info: Uint8Array | HpkeInfo): HpkeContext {
    const id = this.hpkeSuiteId;
    const { scheduleContext } = ArrayBuffer.isView(info) ? this.prepareInfo(info) : info;
    const secret = this.labeledExtract(id, sharedSecret, 'secret', EMPTY);
    return {
      key: this.labeledExpand(id, secret, 'key', scheduleContext, this.suite.aeadKeyLength),
      baseNonce: this.labeledExpand(
        id,
        secret,
        'base_nonce',
        scheduleContext,
        this.suite.aeadNonceLength,
      ),
      secret,
      scheduleContext,
    };
  }

  private export(context: HpkeContext, exporterContext: Uint8Array, length: number): Uint8Array {
    const id = this.hpkeSuiteId;
    const exporterSecret = this.labeledExpand(
      id,
      context.secret,
      'exp',
      context.scheduleContext,
      this.suite.hashLength,
    );
    return this.labeledExpand(id, exporterSecret, 'sec', exporterContext, length);
  }

  private labeledExtract(
    suiteId: Uint8Array,
    salt: Uint8Array,
    text: string,
    ikm: Uint8Array,
  ): Uint8Array {
    return this.p.hkdfExtract(
      this.suite.hash,
      salt,
      concatBytes(VERSION, suiteId, label(text), ikm),
    );
  }

  private labeledExpand(
    suiteId: Uint8Array,
    prk: Uint8Array,
    text: string,
    info: Uint8Array,
    length: number,
  ): Uint8Array {
    const labeledInfo = concatBytes(uint16BE(length), VERSION, suiteId, label(text), info);
    return this.p.hkdfExpand(this.suite.hash, prk, labeledInfo, length);
  }
}
