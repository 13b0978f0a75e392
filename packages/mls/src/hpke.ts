import { concatBytes, uint16BE, utf8Encode } from '@parley/bytes';
import type { KeyPair, Primitives } from '@parley/primitives';
import { unsupported, type CipherSuite, type Kem } from './cipher-suite.js';
import { MlsError } from './errors.js';

/**
 * HPKE (RFC 9180) in base mode with the suite's DHKEM (X25519, X448, P-256, P-384 or P-521), as
 * MLS uses it: single-shot seal and open of one message, DeriveKeyPair, and the exporter of a
 * sender context (external commits). Everything is composed from the synchronous `Primitives`.
 */

/**
 * The DH operations a DHKEM needs: `Primitives.x25519` itself for X25519 (the hot path of suites
 * 1 and 3 is unchanged), or one group of `Primitives.mlsCurves.dh`.
 */
export interface KemDh {
  generateKeyPair(): KeyPair;
  publicKey(privateKey: Uint8Array): Uint8Array;
  sharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
}

/** The DH of `kem` on `p`, or `UNSUPPORTED_CIPHER_SUITE` when the backend lacks the group. */
export function kemDh(p: Primitives, kem: Kem): KemDh {
  return kem.group === 'x25519' ? p.x25519 : (p.mlsCurves?.dh[kem.group] ?? unsupported(kem.group));
}

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
  /** The KEM's Diffie-Hellman group. */
  readonly dh: KemDh;
  private readonly kem: Kem;
  private readonly kemSuiteId: Uint8Array;
  private readonly hpkeSuiteId: Uint8Array;
  /** psk_id_hash of base mode (no PSK id), the same for every message; made on first use. */
  private pskIdHash: Uint8Array | undefined;

  constructor(
    private readonly p: Primitives,
    private readonly suite: CipherSuite,
  ) {
    this.kem = suite.kem;
    this.dh = kemDh(p, suite.kem);
    const { kemId, kdfId, aeadId } = suite.hpke;
    this.kemSuiteId = concatBytes(label('KEM'), uint16BE(kemId));
    this.hpkeSuiteId = concatBytes(
      label('HPKE'),
      uint16BE(kemId),
      uint16BE(kdfId),
      uint16BE(aeadId),
    );
  }

  /**
   * DeriveKeyPair(ikm) (RFC 9180 §7.1.3): for X25519 and X448 the Nsk bytes expanded under
   * "sk"; for a NIST curve its rejection loop over "candidate"s (`Kem.derivePrivateKey`).
   */
  deriveKeyPair(ikm: Uint8Array): KeyPair {
    const { hash, privateKeyLength, derivePrivateKey } = this.kem;
    const prk = this.labeledExtract(this.kemSuiteId, EMPTY, 'dkp_prk', ikm, hash);
    const expand = (text: string, info: Uint8Array): Uint8Array =>
      this.labeledExpand(this.kemSuiteId, prk, text, info, privateKeyLength, hash);
    const privateKey = derivePrivateKey?.(expand) ?? expand('sk', EMPTY);
    return { privateKey, publicKey: this.dh.publicKey(privateKey) };
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
   * recipient's public key, when the caller knows it, saves deriving it (one scalar multiplication);
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
    this.checkKey(publicKey, this.kem.publicKeyLength, 'HPKE public key');
    const e = ephemeral ?? this.dh.generateKeyPair();
    const dh = this.dh.sharedSecret(e.privateKey, publicKey);
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
    this.checkKey(enc, this.kem.publicKeyLength, 'HPKE encapsulated key');
    this.checkKey(privateKey, this.kem.privateKeyLength, 'HPKE private key');
    const dh = this.dh.sharedSecret(privateKey, enc);
    const kemContext = concatBytes(enc, publicKey ?? this.dh.publicKey(privateKey));
    return this.keySchedule(this.extractAndExpand(dh, kemContext), info);
  }

  private checkKey(key: Uint8Array, length: number, what: string): void {
    if (key.length !== length) {
      throw new MlsError('INVALID_ENCODING', `${what} must be ${length} bytes`);
    }
  }

  private extractAndExpand(dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
    const { hash, secretLength } = this.kem;
    const prk = this.labeledExtract(this.kemSuiteId, EMPTY, 'eae_prk', dh, hash);
    return this.labeledExpand(
      this.kemSuiteId,
      prk,
      'shared_secret',
      kemContext,
      secretLength,
      hash,
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
    hash = this.suite.hash,
  ): Uint8Array {
    return this.p.hkdfExtract(hash, salt, concatBytes(VERSION, suiteId, label(text), ikm));
  }

  private labeledExpand(
    suiteId: Uint8Array,
    prk: Uint8Array,
    text: string,
    info: Uint8Array,
    length: number,
    hash = this.suite.hash,
  ): Uint8Array {
    const labeledInfo = concatBytes(uint16BE(length), VERSION, suiteId, label(text), info);
    return this.p.hkdfExpand(hash, prk, labeledInfo, length);
  }
}
