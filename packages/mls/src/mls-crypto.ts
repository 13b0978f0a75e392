import { concatBytes, constantTimeEqual, TlsWriter, uint32BE, utf8Encode } from '@parley/bytes';
import type { KeyPair, Primitives, SignatureScheme } from '@parley/primitives';
import { cipherSuite, unsupported, type CipherSuite } from './cipher-suite.js';
import { MlsError } from './errors.js';
import { Hpke } from './hpke.js';
import { MAX_EXPAND_LENGTH } from './limits.js';

/** A label as the RFC writes it (a string) or as raw bytes (the exporter's labels). */
export type Label = string | Uint8Array;

/** HPKECiphertext (RFC 9420 §5.1.3). */
export interface HpkeCiphertext {
  readonly kemOutput: Uint8Array;
  readonly ciphertext: Uint8Array;
}

const PREFIX = utf8Encode('MLS 1.0 ');
const EMPTY = new Uint8Array(0);
/** Most ephemeral HPKE private keys drawn from the random source in one call. */
const EPHEMERAL_BATCH = 256;

function labelBytes(label: Label): Uint8Array {
  return typeof label === 'string' ? utf8Encode(label) : label;
}

/** `"MLS 1.0 " + label`. */
function mlsLabel(label: Label): Uint8Array {
  return concatBytes(PREFIX, labelBytes(label));
}

/**
 * The cryptographic operations of one MLS cipher suite (RFC 9420 §5) over a `Primitives`
 * backend: hash, KDF, MAC, AEAD, signatures, HPKE, and the labeled forms built on them.
 */
export class MlsCrypto {
  readonly suite: CipherSuite;
  readonly hpke: Hpke;
  /** The suite's signature scheme on this backend. */
  private readonly signer: SignatureScheme;

  /**
   * Throws `UNSUPPORTED_CIPHER_SUITE` for an unknown suite id, or a suite whose curves the
   * backend lacks (suites 2 and 4–7 need `Primitives.mlsCurves`).
   */
  constructor(
    readonly primitives: Primitives,
    suite: CipherSuite | number,
  ) {
    this.suite = typeof suite === 'number' ? cipherSuite(suite) : suite;
    this.hpke = new Hpke(primitives, this.suite);
    this.signer = signatureScheme(primitives, this.suite);
  }

  /** Nh. */
  get hashLength(): number {
    return this.suite.hashLength;
  }

  hash(data: Uint8Array): Uint8Array {
    return this.primitives.hash(this.suite.hash, data);
  }

  /** KDF.Extract(salt, ikm). */
  extract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    return this.primitives.hkdfExtract(this.suite.hash, salt, ikm);
  }

  /** MAC(key, data): HMAC with the suite's hash. */
  mac(key: Uint8Array, data: Uint8Array): Uint8Array {
    return this.primitives.hmac(this.suite.hash, key, data);
  }

  /** True when `tag` is MAC(key, data), compared in constant time. */
  verifyMac(key: Uint8Array, data: Uint8Array, tag: Uint8Array): boolean {
    return constantTimeEqual(this.mac(key, data), tag);
  }

  /** AEAD.Seal with the suite's AEAD. */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return this.primitives.aead[this.suite.aead].seal(key, nonce, plaintext, aad);
  }

  /** AEAD.Open; throws `DECRYPT_FAILED` on any failure. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    try {
      return this.primitives.aead[this.suite.aead].open(key, nonce, ciphertext, aad);
    } catch {
      throw new MlsError('DECRYPT_FAILED', 'AEAD decryption failed');
    }
  }

  /** ExpandWithLabel(Secret, Label, Context, Length) (§5.1). */
  expandWithLabel(
    secret: Uint8Array,
    label: Label,
    context: Uint8Array,
    length: number,
  ): Uint8Array {
    if (!Number.isInteger(length) || length < 0 || length > MAX_EXPAND_LENGTH) {
      throw new MlsError(
        'LIMIT_EXCEEDED',
        `expand length ${length} outside 0..${MAX_EXPAND_LENGTH}`,
      );
    }
    const info = new TlsWriter()
      .uint16(length)
      .opaque('varint', mlsLabel(label))
      .opaque('varint', context)
      .finish();
    return this.primitives.hkdfExpand(this.suite.hash, secret, info, length);
  }

  /** DeriveSecret(Secret, Label) = ExpandWithLabel(Secret, Label, "", Nh). */
  deriveSecret(secret: Uint8Array, label: Label): Uint8Array {
    return this.expandWithLabel(secret, label, EMPTY, this.suite.hashLength);
  }

  /** DeriveTreeSecret(Secret, Label, Generation, Length) (§9.1). */
  deriveTreeSecret(
    secret: Uint8Array,
    label: Label,
    generation: number,
    length: number,
  ): Uint8Array {
    return this.expandWithLabel(secret, label, uint32BE(generation), length);
  }

  /** RefHash(label, value) = H(RefHashInput) (§5.2); `label` is used as given. */
  refHash(label: Label, value: Uint8Array): Uint8Array {
    const input = new TlsWriter()
      .opaque('varint', labelBytes(label))
      .opaque('varint', value)
      .finish();
    return this.hash(input);
  }

  /** MakeKeyPackageRef(value) over an encoded KeyPackage. */
  makeKeyPackageRef(keyPackage: Uint8Array): Uint8Array {
    return this.refHash('MLS 1.0 KeyPackage Reference', keyPackage);
  }

  /** MakeProposalRef(value) over an encoded AuthenticatedContent carrying a proposal. */
  makeProposalRef(authenticatedContent: Uint8Array): Uint8Array {
    return this.refHash('MLS 1.0 Proposal Reference', authenticatedContent);
  }

  /** SignWithLabel(SignatureKey, Label, Content) (§5.1.2). */
  signWithLabel(privateKey: Uint8Array, label: Label, content: Uint8Array): Uint8Array {
    return this.signer.sign(privateKey, signContent(label, content));
  }

  /** VerifyWithLabel(VerificationKey, Label, Content, Signature); false for any bad input. */
  verifyWithLabel(
    publicKey: Uint8Array,
    label: Label,
    content: Uint8Array,
    signature: Uint8Array,
  ): boolean {
    return this.signer.verify(publicKey, signContent(label, content), signature);
  }

  /** The signature public key for a private key. */
  signaturePublicKey(privateKey: Uint8Array): Uint8Array {
    return this.signer.publicKey(privateKey);
  }

  /** A fresh HPKE key pair of the suite's KEM (init keys, leaf encryption keys). */
  generateKemKeyPair(): KeyPair {
    return this.hpke.dh.generateKeyPair();
  }

  /** The HPKE public key of a KEM private key. */
  kemPublicKey(privateKey: Uint8Array): Uint8Array {
    return this.hpke.dh.publicKey(privateKey);
  }

  /** KEM.DeriveKeyPair(secret), e.g. the external key pair or a TreeKEM node key pair. */
  deriveKemKeyPair(secret: Uint8Array): KeyPair {
    return this.hpke.deriveKeyPair(secret);
  }

  /** EncryptWithLabel(PublicKey, Label, Context, Plaintext) (§5.1.3). */
  encryptWithLabel(
    publicKey: Uint8Array,
    label: Label,
    context: Uint8Array,
    plaintext: Uint8Array,
    ephemeral?: KeyPair,
  ): HpkeCiphertext {
    const sealed = this.hpke.seal(
      publicKey,
      encryptContext(label, context),
      EMPTY,
      plaintext,
      ephemeral,
    );
    return { kemOutput: sealed.enc, ciphertext: sealed.ciphertext };
  }

  /**
   * EncryptWithLabel under one label and context for many recipients (a Welcome's GroupSecrets,
   * an UpdatePath's ciphertexts): the same as calling {@link encryptWithLabel} for each, with the
   * context hashed into the HPKE key schedule once instead of once per recipient, and the
   * ephemeral private keys drawn from the random source `recipients` at a time (one call instead
   * of one per recipient; each is zeroed once its encryption is done). That pool is for X25519,
   * the built-in suites' group; the curve suites generate each ephemeral key pair (random bytes
   * need not be a scalar below a NIST group's order).
   */
  encryptorWithLabel(
    label: Label,
    context: Uint8Array,
    recipients = 1,
  ): (publicKey: Uint8Array, plaintext: Uint8Array) => HpkeCiphertext {
    const info = this.hpke.prepareInfo(encryptContext(label, context));
    const { group, privateKeyLength: keyLength } = this.suite.kem;
    if (group !== 'x25519') {
      return (publicKey, plaintext) => {
        const sealed = this.hpke.seal(publicKey, info, EMPTY, plaintext);
        return { kemOutput: sealed.enc, ciphertext: sealed.ciphertext };
      };
    }
    const batch = Math.max(1, Math.min(recipients, EPHEMERAL_BATCH));
    let pool: Uint8Array = EMPTY;
    let used = 0;
    return (publicKey, plaintext) => {
      if (used === pool.length) {
        pool = this.primitives.randomBytes(batch * keyLength);
        used = 0;
      }
      const privateKey = pool.subarray(used, used + keyLength);
      used += keyLength;
      try {
        const ephemeral = { privateKey, publicKey: this.primitives.x25519.publicKey(privateKey) };
        const sealed = this.hpke.seal(publicKey, info, EMPTY, plaintext, ephemeral);
        return { kemOutput: sealed.enc, ciphertext: sealed.ciphertext };
      } finally {
        privateKey.fill(0);
      }
    };
  }

  /**
   * DecryptWithLabel(PrivateKey, Label, Context, KEMOutput, Ciphertext); throws
   * `DECRYPT_FAILED`. `publicKey`, if known, saves deriving it from the private key.
   */
  decryptWithLabel(
    privateKey: Uint8Array,
    label: Label,
    context: Uint8Array,
    ciphertext: HpkeCiphertext,
    publicKey?: Uint8Array,
  ): Uint8Array {
    return this.hpke.open(
      ciphertext.kemOutput,
      privateKey,
      encryptContext(label, context),
      EMPTY,
      ciphertext.ciphertext,
      publicKey,
    );
  }
}

function signatureScheme(p: Primitives, suite: CipherSuite): SignatureScheme {
  const { signature } = suite;
  return signature === 'ed25519'
    ? p.ed25519
    : (p.mlsCurves?.signature[signature] ?? unsupported(signature));
}

function signContent(label: Label, content: Uint8Array): Uint8Array {
  return new TlsWriter().opaque('varint', mlsLabel(label)).opaque('varint', content).finish();
}

function encryptContext(label: Label, context: Uint8Array): Uint8Array {
  return new TlsWriter().opaque('varint', mlsLabel(label)).opaque('varint', context).finish();
}
