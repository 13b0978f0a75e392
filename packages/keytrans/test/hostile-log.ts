import { toHex } from '@parley/bytes';
import { TransparencyLog, logEntryHash, type PrefixLeaf } from '../src/index.js';

/**
 * A Transparency Log that misbehaves on request, speaking the real wire format: it can lie
 * about a label's greatest version (its proofs still come from its real trees, as a cheating
 * log's would), append entries with any prefix tree and any timestamp, and fork its prefix tree
 * from an earlier entry. Test-only: production code has no way to do any of this.
 */
export class HostileLog extends TransparencyLog {
  private readonly lies = new Map<string, (position: number) => number>();

  /** From now on, claims `greatest(position)` for `label`. */
  lieAbout(label: Uint8Array, greatest: (position: number) => number): void {
    this.lies.set(toHex(label), greatest);
  }

  override greatestAt(label: Uint8Array, position: number): number {
    const lie = this.lies.get(toHex(label));
    return lie === undefined ? super.greatestAt(label, position) : lie(position);
  }

  /** The prefix-tree root id of an entry. */
  rootId(position: number): number {
    return this.roots[position] as number;
  }

  /** A prefix tree made from entry `position`'s tree plus `leaves`, not attached to any entry. */
  branch(position: number, leaves: readonly PrefixLeaf[]): number {
    return this.prefix.insert(this.rootId(position), leaves);
  }

  /** Appends an entry with prefix tree `rootId` and any timestamp (no monotonicity check). */
  appendRaw(timestamp: number, rootId: number): void {
    this.timestamps.push(timestamp);
    this.roots.push(rootId);
    this.logTree.append(logEntryHash(this.suite, timestamp, this.prefix.hash(rootId)));
    this.signedHead = undefined;
  }
}
