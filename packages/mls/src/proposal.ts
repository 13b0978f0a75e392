import type { TlsReader, TlsWriter } from '@parley/bytes';
import { decodeWith, encodeWith, readOpaque, writeOpaque } from './codec.js';
import { MlsError } from './errors.js';
import { readExtensions, writeExtensions, type Extension } from './extension.js';
import { readKeyPackage, writeKeyPackage, type KeyPackage } from './key-package.js';
import { readLeafNode, writeLeafNode, type LeafNode } from './leaf-node.js';
import { readPreSharedKeyId, writePreSharedKeyId, type PreSharedKeyId } from './psk.js';

/** ProposalType values (RFC 9420 §17.4). */
export const ProposalType = {
  add: 1,
  update: 2,
  remove: 3,
  psk: 4,
  reinit: 5,
  externalInit: 6,
  groupContextExtensions: 7,
} as const;

/**
 * Proposal (RFC 9420 §12.1). Only the seven standard types can be decoded: a proposal of any
 * other type has no length prefix to skip it by.
 */
export type Proposal =
  | { readonly proposalType: 1; readonly keyPackage: KeyPackage }
  | { readonly proposalType: 2; readonly leafNode: LeafNode }
  | { readonly proposalType: 3; readonly removed: number }
  | { readonly proposalType: 4; readonly psk: PreSharedKeyId }
  | {
      readonly proposalType: 5;
      readonly groupId: Uint8Array;
      readonly version: number;
      readonly cipherSuite: number;
      readonly extensions: readonly Extension[];
    }
  | { readonly proposalType: 6; readonly kemOutput: Uint8Array }
  | { readonly proposalType: 7; readonly extensions: readonly Extension[] };

/** Writes a Proposal. */
export function writeProposal(w: TlsWriter, p: Proposal): void {
  w.uint16(p.proposalType);
  writeProposalBody(w, p);
}

/** Writes the body of a Proposal (Add, Update, …) without its type. */
export function writeProposalBody(w: TlsWriter, p: Proposal): void {
  switch (p.proposalType) {
    case ProposalType.add:
      writeKeyPackage(w, p.keyPackage);
      return;
    case ProposalType.update:
      writeLeafNode(w, p.leafNode);
      return;
    case ProposalType.remove:
      w.uint32(p.removed);
      return;
    case ProposalType.psk:
      writePreSharedKeyId(w, p.psk);
      return;
    case ProposalType.reinit:
      writeOpaque(w, p.groupId);
      w.uint16(p.version).uint16(p.cipherSuite);
      writeExtensions(w, p.extensions);
      return;
    case ProposalType.externalInit:
      writeOpaque(w, p.kemOutput);
      return;
    case ProposalType.groupContextExtensions:
      writeExtensions(w, p.extensions);
      return;
  }
}

/** Reads a Proposal; throws `INVALID_ENCODING` for a non-standard type. */
export function readProposal(r: TlsReader): Proposal {
  return readProposalBody(r, r.uint16());
}

/** Reads the body of a Proposal of type `proposalType` (Add, Update, …). */
export function readProposalBody(r: TlsReader, proposalType: number): Proposal {
  switch (proposalType) {
    case ProposalType.add:
      return { proposalType, keyPackage: readKeyPackage(r) };
    case ProposalType.update:
      return { proposalType, leafNode: readLeafNode(r) };
    case ProposalType.remove:
      return { proposalType, removed: r.uint32() };
    case ProposalType.psk:
      return { proposalType, psk: readPreSharedKeyId(r) };
    case ProposalType.reinit:
      return {
        proposalType,
        groupId: readOpaque(r),
        version: r.uint16(),
        cipherSuite: r.uint16(),
        extensions: readExtensions(r),
      };
    case ProposalType.externalInit:
      return { proposalType, kemOutput: readOpaque(r) };
    case ProposalType.groupContextExtensions:
      return { proposalType, extensions: readExtensions(r) };
    default:
      throw new MlsError('INVALID_ENCODING', `unknown proposal type ${proposalType}`);
  }
}

/** The TLS encoding of a Proposal. */
export function encodeProposal(p: Proposal): Uint8Array {
  return encodeWith(p, writeProposal);
}

/** Decodes a Proposal, which must use all of `bytes`. */
export function decodeProposal(bytes: Uint8Array): Proposal {
  return decodeWith(bytes, 'Proposal', readProposal);
}
