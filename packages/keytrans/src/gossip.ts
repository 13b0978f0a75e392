import { constantTimeEqual } from '@parley/bytes';
import { encode, decode, readHash, readPosition, writeHash, writeU64 } from './codec-primitives.js';
import { KeyTransError, check } from './errors.js';
import { MAX_TREE_SIZE } from './limits.js';
import { rootFromFullSubtrees } from './log-tree.js';
import type { HeadState } from './state.js';
import type { ClientContext } from './verify-head.js';
import { treeHeadTbs } from './tbs.js';

/**
 * Gossip of tree heads between users (draft-ietf-keytrans-architecture-09 "Out-of-band
 * communication"; -05 leaves the bytes to the application). A user hands its contacts the
 * log's last signed head it verified; two signed heads of the same size with different roots
 * prove the log showed two views (a fork), and the pair is the evidence anyone can check with the
 * log's public key. Heads of different sizes are not comparable here: they need the log's
 * head-consistency proof against one's retained head (`head-consistency.ts`).
 *
 * Wire form (TLS presentation language, Parley's):
 *
 *     struct {
 *       uint64 tree_size;
 *       opaque root[Hash.Nh];
 *       opaque signature<0..2^8-1>;
 *     } DistinguishedHead;
 */
export interface DistinguishedHead {
  readonly treeSize: number;
  /** The log tree's root at `treeSize` (what the signature covers, with the configuration). */
  readonly root: Uint8Array;
  readonly signature: Uint8Array;
}

/** Longest signature a gossiped head may carry (Ed25519's is 64 bytes; the u8 prefix allows 255). */
export const MAX_GOSSIP_SIGNATURE_BYTES = 255;

export function encodeDistinguishedHead(head: DistinguishedHead): Uint8Array {
  if (head.signature.length > MAX_GOSSIP_SIGNATURE_BYTES)
    throw new KeyTransError('LIMIT_EXCEEDED', 'signature is too long');
  return encode((w) => {
    writeU64(w, head.treeSize);
    writeHash(w, head.root);
    w.opaque('u8', head.signature);
  });
}

/** Decodes a gossiped head; every failure is `MALFORMED` or `LIMIT_EXCEEDED`. */
export function decodeDistinguishedHead(bytes: Uint8Array): DistinguishedHead {
  return decode(bytes, (r) => {
    const treeSize = readPosition(r);
    check(treeSize >= 1 && treeSize <= MAX_TREE_SIZE, 'LIMIT_EXCEEDED', 'tree size out of range');
    const root = readHash(r);
    const signature = r.opaque('u8');
    return { treeSize, root, signature };
  });
}

/** The head a client verified last, with its root recomputed from the retained full subtrees. */
export function distinguishedHeadOf(ctx: ClientContext, state: HeadState): DistinguishedHead {
  const size = state.treeHead.treeSize;
  return {
    treeSize: size,
    root: rootFromFullSubtrees(ctx.suite, size, state.fullSubtrees),
    signature: state.treeHead.signature,
  };
}

/** Checks a gossiped head's signature under the log's key; throws `BAD_SIGNATURE`. */
export function verifyDistinguishedHead(ctx: ClientContext, head: DistinguishedHead): void {
  const tbs = treeHeadTbs(ctx.config, head.treeSize, head.root);
  if (!ctx.suite.verify(ctx.config.signaturePublicKey, tbs, head.signature))
    throw new KeyTransError('BAD_SIGNATURE', 'the gossiped tree head signature does not verify');
}

/**
 * `compare_roots`: `same` (one size, one root), `fork` (one size, two roots: both heads, once
 * verified, are the evidence) or `incomparable` (different sizes).
 */
export function compareRoots(
  a: DistinguishedHead,
  b: DistinguishedHead,
): 'same' | 'fork' | 'incomparable' {
  if (a.treeSize !== b.treeSize) return 'incomparable';
  return a.root.length === b.root.length && constantTimeEqual(a.root, b.root) ? 'same' : 'fork';
}
