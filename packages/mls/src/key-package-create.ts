import { constantTimeEqual } from '@parley/bytes';
import { MlsError } from './errors.js';
import type { Credential } from './credential.js';
import type { Extension } from './extension.js';
import { PROTOCOL_VERSION_MLS10 } from './group-context.js';
import { encodeWith } from './codec.js';
import { writeKeyPackageContent, type KeyPackage } from './key-package.js';
import { LeafNodeSource, type Capabilities, type LeafNode, type Lifetime } from './leaf-node.js';
import type { MlsCrypto } from './mls-crypto.js';
import { encodeLeafNodeTbs, verifyLeafNodeSignature } from './ratchet-tree.js';
import { leafIndex } from './tree-math.js';

/** What a new KeyPackage needs; the HPKE keys are generated. */
export interface KeyPackageOptions {
  readonly credential: Credential;
  readonly signaturePrivateKey: Uint8Array;
  /** Validity in seconds since the Unix epoch; the caller passes the clock's value. */
  readonly lifetime: Lifetime;
  /** Defaults to MLS 1.0, this suite, the credential's type and no extensions or proposals. */
  readonly capabilities?: Capabilities;
  readonly leafExtensions?: readonly Extension[];
  readonly extensions?: readonly Extension[];
}

/** A KeyPackage and the private keys that go with it (keep them until it is used). */
export interface CreatedKeyPackage {
  readonly keyPackage: KeyPackage;
  readonly initPrivateKey: Uint8Array;
  readonly encryptionPrivateKey: Uint8Array;
}

/** Capabilities listing exactly what this implementation uses for a suite and credential. */
export function defaultCapabilities(crypto: MlsCrypto, credential: Credential): Capabilities {
  return {
    versions: [PROTOCOL_VERSION_MLS10],
    cipherSuites: [crypto.suite.id],
    extensions: [],
    proposals: [],
    credentials: [credential.credentialType],
  };
}

/**
 * Creates a signed KeyPackage (RFC 9420 §10) with fresh init and encryption key pairs; the leaf
 * node is signed too (source `key_package`, so without group id and leaf index).
 */
export function createKeyPackage(crypto: MlsCrypto, options: KeyPackageOptions): CreatedKeyPackage {
  if (options.lifetime.notAfter < options.lifetime.notBefore) {
    throw new MlsError('MISUSE', 'lifetime ends before it starts');
  }
  const init = crypto.generateKemKeyPair();
  const encryption = crypto.generateKemKeyPair();
  const unsigned: LeafNode = {
    encryptionKey: encryption.publicKey,
    signatureKey: crypto.signaturePublicKey(options.signaturePrivateKey),
    credential: options.credential,
    capabilities: options.capabilities ?? defaultCapabilities(crypto, options.credential),
    leafNodeSource: LeafNodeSource.keyPackage,
    lifetime: options.lifetime,
    extensions: options.leafExtensions ?? [],
    signature: new Uint8Array(0),
  };
  const tbs = encodeLeafNodeTbs(unsigned, new Uint8Array(0), leafIndex(0));
  const leafNode: LeafNode = {
    ...unsigned,
    signature: crypto.signWithLabel(options.signaturePrivateKey, 'LeafNodeTBS', tbs),
  };
  const content: KeyPackage = {
    version: PROTOCOL_VERSION_MLS10,
    cipherSuite: crypto.suite.id,
    initKey: init.publicKey,
    leafNode,
    extensions: options.extensions ?? [],
    signature: new Uint8Array(0),
  };
  const signature = crypto.signWithLabel(
    options.signaturePrivateKey,
    'KeyPackageTBS',
    encodeWith(content, writeKeyPackageContent),
  );
  return {
    keyPackage: { ...content, signature },
    initPrivateKey: init.privateKey,
    encryptionPrivateKey: encryption.privateKey,
  };
}

/**
 * True when the KeyPackage itself is well formed for this suite and its signature verifies under
 * its leaf's signature key, with distinct init and encryption keys (RFC 9420 §10.1). The leaf
 * node's own signature is not checked here (leaf validation does it).
 */
export function verifyKeyPackageSignature(crypto: MlsCrypto, keyPackage: KeyPackage): boolean {
  const leaf = keyPackage.leafNode;
  if (keyPackage.version !== PROTOCOL_VERSION_MLS10 || keyPackage.cipherSuite !== crypto.suite.id) {
    return false;
  }
  if (leaf.leafNodeSource !== LeafNodeSource.keyPackage) return false;
  if (constantTimeEqual(keyPackage.initKey, leaf.encryptionKey)) return false;
  const tbs = encodeWith(keyPackage, writeKeyPackageContent);
  return crypto.verifyWithLabel(leaf.signatureKey, 'KeyPackageTBS', tbs, keyPackage.signature);
}

/**
 * True when the KeyPackage verifies ({@link verifyKeyPackageSignature}) and so does its leaf
 * node's signature. Lifetime, capabilities and credential checks need the clock and policy:
 * see `validation.ts`.
 */
export function verifyKeyPackage(crypto: MlsCrypto, keyPackage: KeyPackage): boolean {
  return (
    verifyKeyPackageSignature(crypto, keyPackage) &&
    verifyLeafNodeSignature(crypto, keyPackage.leafNode, new Uint8Array(0), leafIndex(0))
  );
}
