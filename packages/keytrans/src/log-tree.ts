import { concatBytes, constantTimeEqual } from '@parley/bytes';
import { KeyTransError } from './errors.js';
import type { Suite } from './suite.js';

/**
 * The log tree (-05 §3.2, §9.7, §10.1): a left-balanced Merkle tree whose proofs hold only heads
 * of balanced subtrees. One walk computes the root (and the auditor's root) from known leaves,
 * retained full subtrees and proof elements; the log runs it in record mode (elements come from
 * its store and are appended), the client in consume mode (elements are popped), so both agree
 * on which elements appear and in what order.
 */

/** A balanced subtree: leaves [start, start + size), size a power of two. */
export interface Subtree {
  readonly start: number;
  readonly size: number;
}

/** The full subtrees of a log of `n` entries, left to right. */
export function fullSubtrees(n: number): Subtree[] {
  const out: Subtree[] = [];
  let start = 0;
  let remaining = n;
  while (remaining > 0) {
    let size = 1;
    while (size * 2 <= remaining) size *= 2;
    out.push({ start, size });
    start += size;
    remaining -= size;
  }
  return out;
}

/** Value of a parent: Hash(hashContent(left) ‖ hashContent(right)). */
export function parentHash(
  suite: Suite,
  leftValue: Uint8Array,
  leftIsLeaf: boolean,
  rightValue: Uint8Array,
  rightIsLeaf: boolean,
): Uint8Array {
  return suite.hash(
    concatBytes(
      Uint8Array.of(leftIsLeaf ? 0 : 1),
      leftValue,
      Uint8Array.of(rightIsLeaf ? 0 : 1),
      rightValue,
    ),
  );
}

/** The root of a log from its full subtrees' values (right to left). */
export function rootFromFullSubtrees(
  suite: Suite,
  n: number,
  values: readonly Uint8Array[],
): Uint8Array {
  const trees = fullSubtrees(n);
  if (trees.length !== values.length || trees.length === 0) {
    throw new KeyTransError('MISUSE', 'full subtree count does not match the size');
  }
  let acc = values[values.length - 1] as Uint8Array;
  let accIsLeaf = (trees[trees.length - 1] as Subtree).size === 1;
  for (let i = trees.length - 2; i >= 0; i--) {
    acc = parentHash(
      suite,
      values[i] as Uint8Array,
      (trees[i] as Subtree).size === 1,
      acc,
      accIsLeaf,
    );
    accIsLeaf = false;
  }
  return acc;
}

/** Where the walk gets a balanced subtree's head that nothing else determines. */
export interface SubtreeSource {
  /** Record mode: the log's value (appended to the proof). Consume mode: the next element. */
  head(subtree: Subtree): Uint8Array;
}

export interface LogWalkInput {
  /** Tree size the root is computed for. */
  readonly size: number;
  /** Leaf values the verifier computes itself (position → value). */
  readonly leaves: ReadonlyMap<number, Uint8Array>;
  /** The retained full subtrees of an earlier size, if the user advertised one. */
  readonly retained?: { readonly size: number; readonly values: readonly Uint8Array[] };
  /** A second size whose root must also be computed (the auditor's tree size). */
  readonly secondSize?: number;
}

export interface LogWalkOutput {
  readonly root: Uint8Array;
  readonly secondRoot?: Uint8Array;
  /** Values of the full subtrees of `size`, to retain. */
  readonly fullSubtrees: readonly Uint8Array[];
}

/**
 * Computes the root of a log of `input.size` entries from known leaves, retained subtrees and
 * `source`. A retained subtree that the walk recomputes (because a known leaf or a required
 * subtree lies inside it) must match: otherwise `RETAINED_MISMATCH` (-05 §10.1's MUST).
 */
export function walkLogTree(
  suite: Suite,
  input: LogWalkInput,
  source: SubtreeSource,
): LogWalkOutput {
  const { size } = input;
  if (size < 1) throw new KeyTransError('MISUSE', 'empty log');
  const retainedTrees = input.retained === undefined ? [] : fullSubtrees(input.retained.size);
  if (input.retained !== undefined) {
    if (input.retained.size > size)
      throw new KeyTransError('MISUSE', 'retained size exceeds the tree size');
    if (retainedTrees.length !== input.retained.values.length) {
      throw new KeyTransError('MISUSE', 'retained values do not match the retained size');
    }
  }
  if (input.secondSize !== undefined && (input.secondSize < 1 || input.secondSize > size)) {
    throw new KeyTransError('MISUSE', 'second size outside the tree');
  }
  const requiredTrees = input.secondSize === undefined ? [] : fullSubtrees(input.secondSize);
  const required = new Map<number, Uint8Array>();
  const known = [...input.leaves.keys()].sort((a, b) => a - b);
  for (const x of known)
    if (x >= size) throw new KeyTransError('MISUSE', 'known leaf outside the tree');

  const containsKnown = (t: Subtree): boolean => {
    let lo = 0;
    let hi = known.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((known[mid] as number) < t.start) lo = mid + 1;
      else hi = mid;
    }
    return lo < known.length && (known[lo] as number) < t.start + t.size;
  };
  const strictlyContains = (outer: Subtree, list: readonly Subtree[]): boolean =>
    list.some(
      (s) =>
        s.size < outer.size &&
        s.start >= outer.start &&
        s.start + s.size <= outer.start + outer.size,
    );
  const indexOf = (t: Subtree, list: readonly Subtree[]): number =>
    list.findIndex((s) => s.start === t.start && s.size === t.size);

  const balanced = (t: Subtree): Uint8Array => {
    const retainedAt = indexOf(t, retainedTrees);
    const requiredAt = indexOf(t, requiredTrees);
    let value: Uint8Array;
    const leaf = t.size === 1 ? input.leaves.get(t.start) : undefined;
    if (leaf !== undefined) {
      value = leaf;
    } else if (
      t.size > 1 &&
      (containsKnown(t) || strictlyContains(t, retainedTrees) || strictlyContains(t, requiredTrees))
    ) {
      const half = t.size / 2;
      value = parentHash(
        suite,
        balanced({ start: t.start, size: half }),
        half === 1,
        balanced({ start: t.start + half, size: half }),
        half === 1,
      );
    } else if (retainedAt >= 0) {
      value = input.retained?.values[retainedAt] as Uint8Array;
    } else {
      value = source.head(t);
    }
    if (retainedAt >= 0) {
      const kept = input.retained?.values[retainedAt] as Uint8Array;
      if (!constantTimeEqual(kept, value)) {
        throw new KeyTransError('RETAINED_MISMATCH', 'a retained log subtree changed');
      }
    }
    if (requiredAt >= 0) required.set(t.start, value);
    return value;
  };

  const full = fullSubtrees(size).map((t) => balanced(t));
  const root = rootFromFullSubtrees(suite, size, full);
  if (input.secondSize === undefined) return { root, fullSubtrees: full };
  const secondValues = requiredTrees.map((t) => required.get(t.start) as Uint8Array);
  return {
    root,
    secondRoot: rootFromFullSubtrees(suite, input.secondSize, secondValues),
    fullSubtrees: full,
  };
}
