import type { TlsReader, TlsWriter } from '@parley/bytes';
import { checkEnum, decodeWith, encodeWith, readOpaque, writeOpaque } from './codec.js';
import { readLeafNode, writeLeafNode, type LeafNode } from './leaf-node.js';
import type { HpkeCiphertext } from './mls-crypto.js';
import { readProposal, writeProposal, type Proposal } from './proposal.js';

/** A proposal carried in a commit, by value or by its ProposalRef (RFC 9420 §12.4). */
export type ProposalOrRef =
  | { readonly type: 1; readonly proposal: Proposal }
  | { readonly type: 2; readonly reference: Uint8Array };

/** UpdatePathNode (RFC 9420 §7.6). */
export interface UpdatePathNode {
  readonly encryptionKey: Uint8Array;
  readonly encryptedPathSecret: readonly HpkeCiphertext[];
}

/** UpdatePath (RFC 9420 §7.6). */
export interface UpdatePath {
  readonly leafNode: LeafNode;
  readonly nodes: readonly UpdatePathNode[];
}

/** Commit (RFC 9420 §12.4). */
export interface Commit {
  readonly proposals: readonly ProposalOrRef[];
  readonly path?: UpdatePath;
}

/** Writes an HPKECiphertext. */
export function writeHpkeCiphertext(w: TlsWriter, c: HpkeCiphertext): void {
  writeOpaque(w, c.kemOutput);
  writeOpaque(w, c.ciphertext);
}

/** Reads an HPKECiphertext. */
export function readHpkeCiphertext(r: TlsReader): HpkeCiphertext {
  return { kemOutput: readOpaque(r), ciphertext: readOpaque(r) };
}

function writeUpdatePath(w: TlsWriter, path: UpdatePath): void {
  writeLeafNode(w, path.leafNode);
  w.vector('varint', path.nodes, (nw, node) => {
    writeOpaque(nw, node.encryptionKey);
    nw.vector('varint', node.encryptedPathSecret, writeHpkeCiphertext);
  });
}

function readUpdatePath(r: TlsReader): UpdatePath {
  return {
    leafNode: readLeafNode(r),
    nodes: r.vector('varint', (nr) => ({
      encryptionKey: readOpaque(nr),
      encryptedPathSecret: nr.vector('varint', readHpkeCiphertext),
    })),
  };
}

/** Writes a Commit. */
export function writeCommit(w: TlsWriter, c: Commit): void {
  w.vector('varint', c.proposals, (pw, p) => {
    pw.uint8(p.type);
    if (p.type === 1) writeProposal(pw, p.proposal);
    else writeOpaque(pw, p.reference);
  });
  w.optional(c.path, writeUpdatePath);
}

/** Reads a Commit. */
export function readCommit(r: TlsReader): Commit {
  const proposals = r.vector('varint', (pr): ProposalOrRef => {
    const type = checkEnum(pr.uint8(), [1, 2] as const, 'ProposalOrRef type');
    return type === 1 ? { type, proposal: readProposal(pr) } : { type, reference: readOpaque(pr) };
  });
  const path = r.optional(readUpdatePath);
  return path === undefined ? { proposals } : { proposals, path };
}

/** The TLS encoding of a Commit. */
export function encodeCommit(c: Commit): Uint8Array {
  return encodeWith(c, writeCommit);
}

/** Decodes a Commit, which must use all of `bytes`. */
export function decodeCommit(bytes: Uint8Array): Commit {
  return decodeWith(bytes, 'Commit', readCommit);
}

/** The TLS encoding of an UpdatePath. */
export function encodeUpdatePath(path: UpdatePath): Uint8Array {
  return encodeWith(path, writeUpdatePath);
}

/** Decodes an UpdatePath, which must use all of `bytes`. */
export function decodeUpdatePath(bytes: Uint8Array): UpdatePath {
  return decodeWith(bytes, 'UpdatePath', readUpdatePath);
}
