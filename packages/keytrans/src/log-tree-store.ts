import { KeyTransError } from './errors.js';
import { parentHash, type Subtree } from './log-tree.js';
import type { Suite } from './suite.js';

/**
 * The log's copy of the log tree: every leaf value and the head of every complete balanced
 * subtree, level by level in flat byte arrays (32 bytes per head, about two heads per entry).
 * Heads of complete subtrees never change, so any historical proof can be served.
 */
export class LogTreeStore {
  private readonly levels: Uint8Array[] = [];
  private readonly counts: number[] = [];
  private size = 0;

  constructor(private readonly suite: Suite) {}

  /** Number of leaves. */
  get length(): number {
    return this.size;
  }

  /** Appends a leaf value and the heads of the balanced subtrees it completes. */
  append(leafValue: Uint8Array): void {
    this.push(0, leafValue);
    let index = this.size;
    let h = 0;
    while (index % 2 === 1) {
      const leftStart = index - 1;
      const left = this.at(h, leftStart);
      const right = this.at(h, index);
      this.push(h + 1, parentHash(this.suite, left, h === 0, right, h === 0));
      index = (index - 1) / 2;
      h++;
    }
    this.size++;
  }

  /** The leaf value at `position`. */
  leaf(position: number): Uint8Array {
    if (position < 0 || position >= this.size) throw new KeyTransError('MISUSE', 'no such leaf');
    return this.at(0, position);
  }

  /** The head of a complete balanced subtree. */
  head(subtree: Subtree): Uint8Array {
    const h = Math.log2(subtree.size);
    if (!Number.isInteger(h) || subtree.start % subtree.size !== 0) {
      throw new KeyTransError('MISUSE', 'not a balanced subtree');
    }
    if (subtree.start + subtree.size > this.size)
      throw new KeyTransError('MISUSE', 'subtree beyond the log');
    return this.at(h, subtree.start / subtree.size);
  }

  /** Bytes held, for the benchmark's storage figure. */
  get byteLength(): number {
    return this.counts.reduce((sum, c) => sum + c * 32, 0);
  }

  private at(h: number, index: number): Uint8Array {
    const level = this.levels[h] as Uint8Array;
    return level.slice(index * 32, index * 32 + 32);
  }

  private push(h: number, value: Uint8Array): void {
    let level = this.levels[h];
    const count = this.counts[h] ?? 0;
    if (level === undefined || (count + 1) * 32 > level.length) {
      const grown = new Uint8Array(Math.max(1024, (level?.length ?? 0) * 2));
      if (level !== undefined) grown.set(level);
      level = grown;
      this.levels[h] = level;
    }
    level.set(value, count * 32);
    this.counts[h] = count + 1;
  }
}
