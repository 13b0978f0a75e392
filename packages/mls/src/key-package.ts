import type { TlsReader, TlsWriter } from '@parley/bytes';
import { decodeWith, encodeWith, readOpaque, writeOpaque } from './codec.js';
import { readExtensions, writeExtensions, type Extension } from './extension.js';
import { readLeafNode, writeLeafNode, type LeafNode } from './leaf-node.js';

/** KeyPackage (RFC 9420 §10). */
export interface KeyPackage {
  readonly version: number;
  readonly cipherSuite: number;
  readonly initKey: Uint8Array;
  readonly leafNode: LeafNode;
  readonly extensions: readonly Extension[];
  readonly signature: Uint8Array;
}

/** Writes the KeyPackageTBS part (everything but the signature). */
export function writeKeyPackageContent(w: TlsWriter, k: KeyPackage): void {
  w.uint16(k.version).uint16(k.cipherSuite);
  writeOpaque(w, k.initKey);
  writeLeafNode(w, k.leafNode);
  writeExtensions(w, k.extensions);
}

/** Writes a KeyPackage. */
export function writeKeyPackage(w: TlsWriter, k: KeyPackage): void {
  writeKeyPackageContent(w, k);
  writeOpaque(w, k.signature);
}

/** Reads a KeyPackage (its version is checked where it is used, not here). */
export function readKeyPackage(r: TlsReader): KeyPackage {
  return {
    version: r.uint16(),
    cipherSuite: r.uint16(),
    initKey: readOpaque(r),
    leafNode: readLeafNode(r),
    extensions: readExtensions(r),
    signature: readOpaque(r),
  };
}

/** The TLS encoding of a KeyPackage. */
export function encodeKeyPackage(k: KeyPackage): Uint8Array {
  return encodeWith(k, writeKeyPackage);
}

/** Decodes a KeyPackage, which must use all of `bytes`. */
export function decodeKeyPackage(bytes: Uint8Array): KeyPackage {
  return decodeWith(bytes, 'KeyPackage', readKeyPackage);
}
