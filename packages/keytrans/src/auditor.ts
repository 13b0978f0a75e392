import { constantTimeEqual } from '@parley/bytes';
import { KeyTransError, check } from './errors.js';
import { fullSubtrees, parentHash, rootFromFullSubtrees } from './log-tree.js';
import { PrefixNodes, evaluatePrefixProof } from './prefix-tree.js';
import type { AuditorTreeHead, AuditorUpdate, Configuration, PrefixLeaf } from './structures.js';
import { HASH_LENGTH, type Suite } from './suite.js';
import { auditorTreeHeadTbs, logEntryHash } from './tbs.js';

/**
 * The third-party auditor (-05 §14.2): it keeps only the last entry's timestamp and prefix
 * root and the log's full subtrees, checks each AuditorUpdate against them, and signs an
 * AuditorTreeHead for the new size. Compute, then commit: `applyAuditorUpdate` returns the new
 * state and head and changes nothing.
 */
export interface AuditorState {
  readonly size: number;
  readonly timestamp: number;
  readonly prefixRoot: Uint8Array;
  readonly fullSubtrees: readonly Uint8Array[];
}

/** The state before the log's first entry. */
export function initialAuditorState(): AuditorState {
  return { size: 0, timestamp: 0, prefixRoot: new Uint8Array(HASH_LENGTH), fullSubtrees: [] };
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function strictlyAscending(leaves: readonly PrefixLeaf[]): boolean {
  for (let i = 1; i < leaves.length; i++) {
    if (compare((leaves[i - 1] as PrefixLeaf).vrfOutput, (leaves[i] as PrefixLeaf).vrfOutput) >= 0)
      return false;
  }
  return true;
}

/** Appends a leaf to a log's full subtrees. */
export function appendFullSubtrees(
  suite: Suite,
  size: number,
  values: readonly Uint8Array[],
  leaf: Uint8Array,
): Uint8Array[] {
  const sizes = fullSubtrees(size).map((t) => t.size);
  const out = [...values];
  out.push(leaf);
  sizes.push(1);
  while (sizes.length >= 2 && sizes[sizes.length - 1] === sizes[sizes.length - 2]) {
    const right = out.pop() as Uint8Array;
    const left = out.pop() as Uint8Array;
    const s = sizes.pop() as number;
    sizes.pop();
    out.push(parentHash(suite, left, s === 1, right, s === 1));
    sizes.push(s * 2);
  }
  return out;
}

/**
 * Verifies one AuditorUpdate (steps 1–7) and signs the AuditorTreeHead for the new size (step 8).
 * Removals are refused: Parley's logs set no maximum lifetime, so nothing is ever pruned.
 */
export function applyAuditorUpdate(
  suite: Suite,
  config: Configuration,
  signingKey: Uint8Array,
  state: AuditorState,
  update: AuditorUpdate,
): { state: AuditorState; head: AuditorTreeHead } {
  check(
    update.timestamp >= state.timestamp,
    'TIMESTAMP_ORDER',
    'log entry timestamp went backwards',
  );
  check(strictlyAscending(update.added), 'PROOF_SHAPE', 'added leaves are not strictly ascending');
  check(
    update.removed.length === 0,
    'INVALID_REQUEST',
    'removals are not supported without a maximum lifetime',
  );
  for (const r of update.proof.results) {
    if (r.type === 'inclusion')
      throw new KeyTransError('PROOF_MISMATCH', 'an added leaf is already in the tree');
  }
  const nodes = new PrefixNodes(suite);
  const before = evaluatePrefixProof(
    suite,
    update.added.map((a) => ({ vrfOutput: a.vrfOutput })),
    update.proof,
    nodes,
  );
  if (!constantTimeEqual(before.root, state.prefixRoot)) {
    throw new KeyTransError(
      'PROOF_MISMATCH',
      'the update does not start from the previous prefix tree',
    );
  }
  const after = nodes.insert(before.rootId, update.added);
  const prefixRoot = nodes.hash(after).slice();
  const leaf = logEntryHash(suite, update.timestamp, prefixRoot);
  const subtrees = appendFullSubtrees(suite, state.size, state.fullSubtrees, leaf);
  const size = state.size + 1;
  const root = rootFromFullSubtrees(suite, size, subtrees);
  const signature = suite.sign(
    signingKey,
    auditorTreeHeadTbs(config, update.timestamp, size, root),
  );
  return {
    state: { size, timestamp: update.timestamp, prefixRoot, fullSubtrees: subtrees },
    head: { timestamp: update.timestamp, treeSize: size, signature },
  };
}
