import { constantTimeEqual } from '@parley/bytes';
import { decode, encode, readHash, readPosition, writeHash, writeU64 } from './codec-primitives.js';
import { KeyTransError, check } from './errors.js';
import type { DistinguishedHead } from './gossip.js';
import { MAX_CONSISTENCY_ELEMENTS, MAX_TREE_SIZE } from './limits.js';
import { fullSubtrees, walkLogTree, type Subtree, type SubtreeSource } from './log-tree.js';
import type { HeadState } from './state.js';
import type { Suite } from './suite.js';

/**
 * Comparing gossiped heads of different sizes (Parley's, beside -05's operations): the log
 * proves that a gossiped head of size `other` and the user's retained head of size `own` are
 * one history. Both sides run one walk (`walkLogTree`) over the user's retained full subtrees
 * and the proof's subtree heads, in record mode on the log and consume mode on the user:
 *
 * - `other < own`: the walk recomputes the full subtrees of `other` inside the user's retained
 *   ones, each recomputed retained subtree must match (else `RETAINED_MISMATCH`), and the root
 *   of `other` is compared with the gossiped root;
 * - `other > own`: the walk computes the root of `other` from the retained subtrees and the
 *   proof, compared with the gossiped root.
 *
 * A root that differs is a `fork` (the gossiped head and the user's head are both signed by the
 * log); a proof that does not fit the walk throws (`PROOF_SHAPE`, `RETAINED_MISMATCH`): "cannot
 * verify", never `same`.
 *
 * Wire form (TLS presentation language, Parley's):
 *
 *     struct { uint64 own_size; uint64 other_size; } HeadConsistencyRequest;
 *     struct { HashValue elements<0..2^8-1>; } HeadConsistencyProof;   // u8 count prefix
 */
export interface HeadConsistencyRequest {
  readonly ownSize: number;
  readonly otherSize: number;
}

function walk(
  suite: Suite,
  own: { readonly size: number; readonly values: readonly Uint8Array[] },
  otherSize: number,
  source: SubtreeSource,
): Uint8Array {
  check(otherSize !== own.size, 'MISUSE', 'heads of one size need no proof');
  const size = Math.max(own.size, otherSize);
  const out = walkLogTree(
    suite,
    {
      size,
      leaves: new Map(),
      retained: { size: own.size, values: own.values },
      ...(otherSize < own.size ? { secondSize: otherSize } : {}),
    },
    source,
  );
  return otherSize < own.size ? (out.secondRoot as Uint8Array) : out.root;
}

function checkSizes(request: HeadConsistencyRequest, logSize?: number): void {
  const { ownSize, otherSize } = request;
  for (const n of [ownSize, otherSize]) {
    check(
      Number.isSafeInteger(n) && n >= 1 && n <= (logSize ?? MAX_TREE_SIZE),
      'INVALID_REQUEST',
      'tree size outside the log',
    );
  }
  check(ownSize !== otherSize, 'INVALID_REQUEST', 'heads of one size need no proof');
}

/** The log's side: the subtree heads the user's walk asks for, in order. */
export function headConsistencyProof(
  suite: Suite,
  request: HeadConsistencyRequest,
  logSize: number,
  subtreeHead: (t: Subtree) => Uint8Array,
): Uint8Array[] {
  checkSizes(request, logSize);
  const values = fullSubtrees(request.ownSize).map(subtreeHead);
  const elements: Uint8Array[] = [];
  walk(suite, { size: request.ownSize, values }, request.otherSize, {
    head(t) {
      const value = subtreeHead(t);
      elements.push(value);
      return value;
    },
  });
  return elements;
}

/**
 * The user's side: `same` when the gossiped head (its signature already verified) is in the
 * user's history, `fork` when the log's own proof puts a different root at its size.
 */
export function compareHeadsWithProof(
  suite: Suite,
  own: HeadState,
  other: DistinguishedHead,
  elements: readonly Uint8Array[],
): 'same' | 'fork' {
  const ownSize = own.treeHead.treeSize;
  checkSizes({ ownSize, otherSize: other.treeSize });
  check(elements.length <= MAX_CONSISTENCY_ELEMENTS, 'LIMIT_EXCEEDED', 'too many elements');
  let next = 0;
  const root = walk(suite, { size: ownSize, values: own.fullSubtrees }, other.treeSize, {
    head() {
      const value = elements[next++];
      if (value === undefined)
        throw new KeyTransError('PROOF_SHAPE', 'consistency proof too short');
      return value;
    },
  });
  check(next === elements.length, 'PROOF_SHAPE', 'consistency proof has extra elements');
  return constantTimeEqual(root, other.root) ? 'same' : 'fork';
}

export function encodeHeadConsistencyRequest(request: HeadConsistencyRequest): Uint8Array {
  return encode((w) => {
    writeU64(w, request.ownSize);
    writeU64(w, request.otherSize);
  });
}

export function decodeHeadConsistencyRequest(bytes: Uint8Array): HeadConsistencyRequest {
  return decode(bytes, (r) => ({ ownSize: readPosition(r), otherSize: readPosition(r) }));
}

export function encodeHeadConsistencyProof(elements: readonly Uint8Array[]): Uint8Array {
  check(elements.length <= MAX_CONSISTENCY_ELEMENTS, 'LIMIT_EXCEEDED', 'too many elements');
  return encode((w) => {
    w.uint8(elements.length);
    for (const e of elements) writeHash(w, e);
  });
}

export function decodeHeadConsistencyProof(bytes: Uint8Array): Uint8Array[] {
  return decode(bytes, (r) => {
    const count = r.uint8();
    check(count <= MAX_CONSISTENCY_ELEMENTS, 'LIMIT_EXCEEDED', 'too many elements');
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) out.push(readHash(r));
    return out;
  });
}
