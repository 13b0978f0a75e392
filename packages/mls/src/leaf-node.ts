import type { TlsReader, TlsWriter } from '@parley/bytes';
import {
  checkEnum,
  decodeWith,
  encodeWith,
  readOpaque,
  readUint16List,
  writeOpaque,
  writeUint16List,
} from './codec.js';
import { readCredential, writeCredential, type Credential } from './credential.js';
import { readExtensions, writeExtensions, type Extension } from './extension.js';

/** Capabilities (RFC 9420 §7.2): what a client supports, as lists of 16-bit code points. */
export interface Capabilities {
  readonly versions: readonly number[];
  readonly cipherSuites: readonly number[];
  readonly extensions: readonly number[];
  readonly proposals: readonly number[];
  readonly credentials: readonly number[];
}

/** Lifetime of a KeyPackage's leaf, in seconds since the Unix epoch (both inclusive). */
export interface Lifetime {
  readonly notBefore: bigint;
  readonly notAfter: bigint;
}

/** LeafNodeSource values (RFC 9420 §7.2). */
export const LeafNodeSource = { keyPackage: 1, update: 2, commit: 3 } as const;

/** Where a leaf node came from, with what that source adds. */
export type LeafNodeOrigin =
  | { readonly leafNodeSource: 1; readonly lifetime: Lifetime }
  | { readonly leafNodeSource: 2 }
  | { readonly leafNodeSource: 3; readonly parentHash: Uint8Array };

/** LeafNode (RFC 9420 §7.2). */
export type LeafNode = {
  readonly encryptionKey: Uint8Array;
  readonly signatureKey: Uint8Array;
  readonly credential: Credential;
  readonly capabilities: Capabilities;
  readonly extensions: readonly Extension[];
  readonly signature: Uint8Array;
} & LeafNodeOrigin;

function writeCapabilities(w: TlsWriter, c: Capabilities): void {
  writeUint16List(w, c.versions);
  writeUint16List(w, c.cipherSuites);
  writeUint16List(w, c.extensions);
  writeUint16List(w, c.proposals);
  writeUint16List(w, c.credentials);
}

function readCapabilities(r: TlsReader): Capabilities {
  return {
    versions: readUint16List(r),
    cipherSuites: readUint16List(r),
    extensions: readUint16List(r),
    proposals: readUint16List(r),
    credentials: readUint16List(r),
  };
}

/** Writes the fields of a LeafNode that precede the signature (the start of LeafNodeTBS). */
export function writeLeafNodeContent(w: TlsWriter, n: LeafNode): void {
  writeOpaque(w, n.encryptionKey);
  writeOpaque(w, n.signatureKey);
  writeCredential(w, n.credential);
  writeCapabilities(w, n.capabilities);
  w.uint8(n.leafNodeSource);
  if (n.leafNodeSource === LeafNodeSource.keyPackage) {
    w.uint64(n.lifetime.notBefore).uint64(n.lifetime.notAfter);
  } else if (n.leafNodeSource === LeafNodeSource.commit) {
    writeOpaque(w, n.parentHash);
  }
  writeExtensions(w, n.extensions);
}

/** Writes a LeafNode. */
export function writeLeafNode(w: TlsWriter, n: LeafNode): void {
  writeLeafNodeContent(w, n);
  writeOpaque(w, n.signature);
}

/** Reads a LeafNode. */
export function readLeafNode(r: TlsReader): LeafNode {
  const encryptionKey = readOpaque(r);
  const signatureKey = readOpaque(r);
  const credential = readCredential(r);
  const capabilities = readCapabilities(r);
  const source = checkEnum(r.uint8(), [1, 2, 3] as const, 'leaf node source');
  let origin: LeafNodeOrigin;
  if (source === LeafNodeSource.keyPackage) {
    origin = { leafNodeSource: source, lifetime: { notBefore: r.uint64(), notAfter: r.uint64() } };
  } else if (source === LeafNodeSource.update) {
    origin = { leafNodeSource: source };
  } else {
    origin = { leafNodeSource: source, parentHash: readOpaque(r) };
  }
  const extensions = readExtensions(r);
  const signature = readOpaque(r);
  return {
    encryptionKey,
    signatureKey,
    credential,
    capabilities,
    ...origin,
    extensions,
    signature,
  };
}

/** The TLS encoding of a LeafNode. */
export function encodeLeafNode(n: LeafNode): Uint8Array {
  return encodeWith(n, writeLeafNode);
}

/** Decodes a LeafNode, which must use all of `bytes`. */
export function decodeLeafNode(bytes: Uint8Array): LeafNode {
  return decodeWith(bytes, 'LeafNode', readLeafNode);
}
