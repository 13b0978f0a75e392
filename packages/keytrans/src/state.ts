import type { RetainedEntry } from './combined-proof.js';
import type { AuditorTreeHead, MonitorMapEntry, TreeHead } from './structures.js';

/**
 * What a client keeps about one log (-05 §4.2, §8, §12), and the small store interfaces it lives
 * behind. Operations never write: they return the new records as changes, and the caller
 * persists them in one transaction with whatever the result was used for.
 */

/** The last verified head, its full subtrees and its frontier. */
export interface HeadState {
  readonly treeHead: TreeHead;
  readonly auditorTreeHead?: AuditorTreeHead;
  readonly fullSubtrees: readonly Uint8Array[];
  readonly frontier: readonly RetainedEntry[];
}

/** A label-version the client knows the VRF output (and commitment) of. */
export interface KnownVersion {
  readonly version: number;
  readonly vrfOutput: Uint8Array;
  readonly commitment?: Uint8Array;
}

/** A contact's label the client looked up and must monitor (contact monitoring, -05 §8.2). */
export interface ContactState {
  readonly label: Uint8Array;
  readonly entries: readonly MonitorMapEntry[];
  readonly versions: readonly KnownVersion[];
  /** When monitoring last succeeded (ms), for the "cannot verify" report. */
  readonly lastMonitored: number;
}

/** A label the client owns (-05 §8.3, §9). */
export interface OwnerState {
  readonly label: Uint8Array;
  /** Rightmost distinguished entry verified. */
  readonly start: number;
  /** Each version the owner knows of, with where it was inserted (ascending by version). */
  readonly inserted: readonly { readonly version: number; readonly position: number }[];
  readonly versions: readonly KnownVersion[];
  /** Contact-monitoring entries for versions not yet in a distinguished entry. */
  readonly entries: readonly MonitorMapEntry[];
  readonly lastMonitored: number;
}

/** The head record. */
export interface HeadStore {
  head(): HeadState | undefined;
}

/** Contact labels, keyed by label bytes. */
export interface ContactStore {
  contact(label: Uint8Array): ContactState | undefined;
  contacts(): readonly ContactState[];
}

/** Owned labels, keyed by label bytes. */
export interface OwnerStore {
  owned(label: Uint8Array): OwnerState | undefined;
  owners(): readonly OwnerState[];
}

/** The three stores a client reads. */
export interface KeyTransStore extends HeadStore, ContactStore, OwnerStore {}

/** State changes an operation returns; `null` deletes a record. */
export interface KeyTransChanges {
  readonly head?: HeadState;
  readonly contacts?: readonly (readonly [Uint8Array, ContactState | null])[];
  readonly owners?: readonly (readonly [Uint8Array, OwnerState | null])[];
}

const keyOf = (label: Uint8Array): string =>
  Array.from(label, (b) => b.toString(16).padStart(2, '0')).join('');

/** The in-memory store (tests, and the shape the client's persistent store follows). */
export class MemoryKeyTransStore implements KeyTransStore {
  private headState: HeadState | undefined;
  private readonly contactMap = new Map<string, ContactState>();
  private readonly ownerMap = new Map<string, OwnerState>();

  head(): HeadState | undefined {
    return this.headState;
  }

  contact(label: Uint8Array): ContactState | undefined {
    return this.contactMap.get(keyOf(label));
  }

  contacts(): readonly ContactState[] {
    return [...this.contactMap.values()];
  }

  owned(label: Uint8Array): OwnerState | undefined {
    return this.ownerMap.get(keyOf(label));
  }

  owners(): readonly OwnerState[] {
    return [...this.ownerMap.values()];
  }

  /** Applies `changes` all at once (the memory store's transaction). */
  commit(changes: KeyTransChanges): void {
    if (changes.head !== undefined) this.headState = changes.head;
    for (const [label, state] of changes.contacts ?? []) {
      if (state === null) this.contactMap.delete(keyOf(label));
      else this.contactMap.set(keyOf(label), state);
    }
    for (const [label, state] of changes.owners ?? []) {
      if (state === null) this.ownerMap.delete(keyOf(label));
      else this.ownerMap.set(keyOf(label), state);
    }
  }
}
