import { KeyTransError } from './errors.js';

/**
 * The implicit binary search tree over log entries (-05 §4.1, Appendix A), in arithmetic
 * rather than bit operations so positions above 2^31 work.
 */

/** floor(log2(x)) for x ≥ 1; 0 for 0. */
export function log2(x: number): number {
  if (x < 1) return 0;
  let k = 0;
  let p = 1;
  while (p * 2 <= x) {
    p *= 2;
    k++;
  }
  return k;
}

/** Leaves (even positions) are level 0; otherwise the number of trailing one bits. */
export function level(x: number): number {
  let k = 0;
  let v = x;
  while (v % 2 === 1) {
    k++;
    v = (v - 1) / 2;
  }
  return k;
}

/** The root entry of a log with `n` entries. */
export function root(n: number): number {
  if (n < 1) throw new KeyTransError('MISUSE', 'empty log has no root');
  return 2 ** log2(n) - 1;
}

/** The left child of an intermediate entry. */
export function left(x: number): number {
  const k = level(x);
  if (k === 0) throw new KeyTransError('MISUSE', 'leaf entry has no children');
  return x - 2 ** (k - 1);
}

/** The right child of an intermediate entry in a log of `n` entries (may not exist: then ≥ n is impossible, see hasRight). */
export function right(x: number, n: number): number {
  const k = level(x);
  if (k === 0) throw new KeyTransError('MISUSE', 'leaf entry has no children');
  let r = x + 2 ** (k - 1);
  while (r >= n) r = left(r);
  return r;
}

export function hasLeft(x: number): boolean {
  return level(x) > 0;
}

/** Whether `x` has a right child in a log of `n` entries. */
export function hasRight(x: number, n: number): boolean {
  return level(x) > 0 && x + 1 < n;
}

/** The entries from the root down to, but excluding, `x` (its direct path, root first). */
export function pathFromRoot(x: number, n: number): number[] {
  if (x < 0 || x >= n) throw new KeyTransError('MISUSE', 'position outside the log');
  const out: number[] = [];
  let cur = root(n);
  while (cur !== x) {
    out.push(cur);
    cur = x < cur ? left(cur) : right(cur, n);
  }
  return out;
}

/** The direct path of `x`: its parent first, the root last. */
export function directPath(x: number, n: number): number[] {
  return pathFromRoot(x, n).reverse();
}

/** The frontier: the root, its right child, and so on to the rightmost entry. */
export function frontier(n: number): number[] {
  const out = [root(n)];
  for (;;) {
    const last = out[out.length - 1] ?? 0;
    if (!hasRight(last, n)) return out;
    out.push(right(last, n));
  }
}
