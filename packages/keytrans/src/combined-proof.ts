import { constantTimeEqual } from '@parley/bytes';
import { KeyTransError } from './errors.js';
import {
  endsSearch,
  runLadder,
  searchOutcome,
  type LadderOutcome,
  type LadderStep,
} from './ladder.js';
import { walkLogTree, type LogWalkOutput, type Subtree } from './log-tree.js';
import { evaluatePrefixProof, type SearchedKey } from './prefix-tree.js';
import type { CombinedTreeProof, PrefixProof } from './structures.js';
import type { Suite } from './suite.js';
import { logEntryHash } from './tbs.js';

/**
 * The CombinedTreeProof as the algorithms see it (-05 §10.3, Appendix C). Every algorithm in
 * this package asks a {@link ProofHandle} for timestamps and lookups; the log's handle records
 * the answers from its data and builds the proof, the client's handle consumes them from the
 * received proof and checks them. The algorithms are written once, so both sides agree on every
 * element and its order.
 */

/** What the label's versions are known as: VRF output, and commitment when it exists. */
export type VersionKeys = ReadonlyMap<number, SearchedKey>;

/** A log entry the user retained from the previous head (a frontier entry). */
export interface RetainedEntry {
  readonly position: number;
  readonly timestamp: number;
  readonly prefixRoot: Uint8Array;
}

/** The log's data a recording handle reads. */
export interface LogData {
  timestamp(position: number): number;
  prefixRoot(position: number): Uint8Array;
  /** The greatest version of the label in the prefix tree of `position`, or -1. */
  greatestVersion(position: number): number;
  /** A batch lookup in the prefix tree of `position`. */
  search(position: number, keys: readonly Uint8Array[]): PrefixProof;
  /** The head of a complete balanced log subtree. */
  subtreeHead(subtree: Subtree): Uint8Array;
}

/** The handle's interface to the algorithms. */
export interface ProofHandle {
  readonly suite: Suite;
  /** The timestamp of a log entry (retained, already seen, or the next one in the proof). */
  timestamp(position: number): number;
  /** Whether the timestamp of `position` is already known. */
  knows(position: number): boolean;
  /**
   * A search binary ladder from `position` for `target` (omitting lookups whose answer an entry
   * to the left or right already gave, when `omit`); returns where the greatest version lies.
   */
  searchLadder(position: number, target: number, omit: boolean): LadderOutcome;
  /** A monitoring binary ladder; every lookup must show inclusion (`MONITOR_FAILED` otherwise). */
  monitoringLadder(position: number, target: number): void;
  /** A PrefixProof looking up `versions` in order; returns which are included. */
  lookups(position: number, versions: readonly number[]): boolean[];
}

interface Facts {
  readonly position: number;
  readonly steps: readonly LadderStep[];
}

abstract class BaseHandle implements ProofHandle {
  protected readonly timestamps = new Map<number, number>();
  protected readonly fetched = new Set<number>();
  protected readonly roots = new Map<number, Uint8Array>();
  private readonly facts: Facts[] = [];
  /** Whether answers are checked (the client) or only recorded (the log, which never judges). */
  protected abstract readonly enforcing: boolean;

  constructor(
    readonly suite: Suite,
    protected readonly versions: Map<number, SearchedKey>,
    protected readonly retained: readonly RetainedEntry[],
  ) {
    for (const e of retained) this.timestamps.set(e.position, e.timestamp);
  }

  knows(position: number): boolean {
    return this.timestamps.has(position);
  }

  timestamp(position: number): number {
    const known = this.timestamps.get(position);
    if (known !== undefined) return known;
    const value = this.nextTimestamp(position);
    for (const [p, t] of this.enforcing ? this.timestamps : []) {
      if ((p < position && t > value) || (p > position && t < value)) {
        throw new KeyTransError('TIMESTAMP_ORDER', 'log entry timestamps are not monotonic');
      }
    }
    this.timestamps.set(position, value);
    this.fetched.add(position);
    return value;
  }

  searchLadder(position: number, target: number, omit: boolean): LadderOutcome {
    this.timestamp(position);
    const leftIncluded = new Set<number>();
    const rightExcluded = new Set<number>();
    if (omit) {
      for (const f of this.facts) {
        for (const s of f.steps) {
          if (f.position < position && s.included) leftIncluded.add(s.version);
          if (f.position > position && !s.included) rightExcluded.add(s.version);
        }
      }
    }
    const asked: number[] = [];
    const steps = this.ladder(position, target, (v) => {
      if (leftIncluded.has(v)) return true;
      if (rightExcluded.has(v)) return false;
      asked.push(v);
      return undefined;
    });
    this.finishLookups(position, asked, steps);
    if (omit) this.facts.push({ position, steps });
    return searchOutcome(steps, target);
  }

  monitoringLadder(position: number, target: number): void {
    this.timestamp(position);
    const asked: number[] = [];
    const steps = this.ladderSteps(
      position,
      target,
      (v) => (v > target ? false : (asked.push(v), undefined)),
      () => false,
    );
    const monitored = steps.filter((s) => s.version <= target);
    if (this.enforcing && monitored.some((s) => !s.included)) {
      throw new KeyTransError('MONITOR_FAILED', 'a monitored version is missing from the log');
    }
    this.finishLookups(position, asked, monitored);
  }

  lookups(position: number, versions: readonly number[]): boolean[] {
    this.timestamp(position);
    const out = versions.map((v) => this.answer(position, v));
    this.finishLookups(
      position,
      [...versions],
      versions.map((version, i) => ({ version, included: out[i] ?? false })),
    );
    return out;
  }

  private ladder(
    position: number,
    target: number,
    known: (v: number) => boolean | undefined,
  ): LadderStep[] {
    return this.ladderSteps(position, target, known, (s) => endsSearch(s, target));
  }

  private ladderSteps(
    position: number,
    target: number,
    known: (v: number) => boolean | undefined,
    stop: (s: LadderStep) => boolean,
  ): LadderStep[] {
    return runLadder((v) => {
      const k = known(v);
      return k ?? this.answer(position, v);
    }, stop);
  }

  /** The answer to one lookup that goes into the proof. */
  protected abstract answer(position: number, version: number): boolean;
  /** Called once the lookups of one PrefixProof are determined. */
  protected abstract finishLookups(
    position: number,
    asked: readonly number[],
    steps: readonly LadderStep[],
  ): void;
  protected abstract nextTimestamp(position: number): number;

  protected key(version: number): SearchedKey {
    const key = this.versions.get(version);
    if (key === undefined)
      throw new KeyTransError('PROOF_SHAPE', 'a looked-up version has no VRF proof');
    return key;
  }

  protected associate(position: number, root: Uint8Array): void {
    const seen = this.roots.get(position);
    if (seen !== undefined && !constantTimeEqual(seen, root)) {
      throw new KeyTransError(
        'INCONSISTENT_PREFIX_ROOT',
        'two prefix proofs for one log entry differ',
      );
    }
    const kept = this.retained.find((e) => e.position === position);
    if (kept !== undefined && !constantTimeEqual(kept.prefixRoot, root)) {
      throw new KeyTransError(
        'RETAINED_MISMATCH',
        'a retained log entry has a different prefix tree',
      );
    }
    this.roots.set(position, root);
  }

  /** Entries whose timestamp came from the proof but whose prefix root no proof gave, ascending. */
  protected rootless(): number[] {
    return [...this.fetched].filter((p) => !this.roots.has(p)).sort((a, b) => a - b);
  }

  /** The leaf values of the entries whose timestamps came from the proof. */
  protected leaves(): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (const p of this.fetched) {
      out.set(
        p,
        logEntryHash(this.suite, this.timestamps.get(p) as number, this.roots.get(p) as Uint8Array),
      );
    }
    for (const p of this.roots.keys()) {
      if (!this.fetched.has(p) && !this.retained.some((e) => e.position === p)) {
        throw new KeyTransError('PROOF_SHAPE', 'a prefix proof for an entry outside the proof');
      }
    }
    return out;
  }

  /** Every timestamp known at the end (retained and received). */
  knownTimestamps(): ReadonlyMap<number, number> {
    return this.timestamps;
  }

  knownRoots(): ReadonlyMap<number, Uint8Array> {
    return this.roots;
  }
}

/** The parameters of the log-tree part of a proof. */
export interface InclusionTarget {
  readonly size: number;
  readonly retained?: { readonly size: number; readonly values: readonly Uint8Array[] };
  readonly secondSize?: number;
}

/** The log's handle: answers from its data and records the proof. */
export class RecordingHandle extends BaseHandle {
  protected readonly enforcing = false;
  private readonly recordedTimestamps: number[] = [];
  private readonly recordedProofs: PrefixProof[] = [];

  constructor(
    suite: Suite,
    private readonly data: LogData,
    versions: Map<number, SearchedKey>,
    retained: readonly RetainedEntry[],
  ) {
    super(suite, versions, retained);
  }

  protected nextTimestamp(position: number): number {
    const t = this.data.timestamp(position);
    this.recordedTimestamps.push(t);
    return t;
  }

  protected answer(position: number, version: number): boolean {
    return version <= this.data.greatestVersion(position);
  }

  protected finishLookups(position: number, asked: readonly number[]): void {
    const proof = this.data.search(
      position,
      asked.map((v) => this.key(v).vrfOutput),
    );
    this.recordedProofs.push(proof);
    this.associate(position, this.data.prefixRoot(position));
  }

  /** Finishes the proof: prefix roots, then the log-tree elements. */
  finish(target: InclusionTarget): { proof: CombinedTreeProof; walk: LogWalkOutput } {
    const prefixRoots = this.rootless().map((p) => this.data.prefixRoot(p));
    for (const [i, p] of this.rootless().entries()) this.roots.set(p, prefixRoots[i] as Uint8Array);
    const inclusion: Uint8Array[] = [];
    const walk = walkLogTree(
      this.suite,
      { ...target, leaves: this.leaves() },
      {
        head: (t) => {
          const v = this.data.subtreeHead(t);
          inclusion.push(v);
          return v;
        },
      },
    );
    return {
      proof: {
        timestamps: this.recordedTimestamps,
        prefixProofs: this.recordedProofs,
        prefixRoots,
        inclusion,
      },
      walk,
    };
  }
}

/** The client's handle: consumes a received proof and checks every piece. */
export class ConsumingHandle extends BaseHandle {
  protected readonly enforcing = true;
  private ts = 0;
  private proofs = 0;
  private current: { proof: PrefixProof; next: number } | undefined;

  constructor(
    suite: Suite,
    private readonly proof: CombinedTreeProof,
    versions: Map<number, SearchedKey>,
    retained: readonly RetainedEntry[],
  ) {
    super(suite, versions, retained);
  }

  protected nextTimestamp(): number {
    const t = this.proof.timestamps[this.ts++];
    if (t === undefined) throw new KeyTransError('PROOF_SHAPE', 'proof has too few timestamps');
    return t;
  }

  protected answer(): boolean {
    if (this.current === undefined) {
      const proof = this.proof.prefixProofs[this.proofs++];
      if (proof === undefined)
        throw new KeyTransError('PROOF_SHAPE', 'proof has too few prefix proofs');
      this.current = { proof, next: 0 };
    }
    const result = this.current.proof.results[this.current.next++];
    if (result === undefined)
      throw new KeyTransError('PROOF_SHAPE', 'prefix proof has too few results');
    return result.type === 'inclusion';
  }

  protected finishLookups(position: number, asked: readonly number[]): void {
    let proof: PrefixProof;
    if (this.current === undefined) {
      const next = this.proof.prefixProofs[this.proofs++];
      if (next === undefined)
        throw new KeyTransError('PROOF_SHAPE', 'proof has too few prefix proofs');
      proof = next;
    } else {
      proof = this.current.proof;
    }
    this.current = undefined;
    if (proof.results.length !== asked.length) {
      throw new KeyTransError('PROOF_SHAPE', 'prefix proof has a different number of results');
    }
    const { root } = evaluatePrefixProof(
      this.suite,
      asked.map((v) => this.key(v)),
      proof,
    );
    this.associate(position, root);
  }

  /** Whether the received proof still has prefix proofs to consume. */
  hasMorePrefixProofs(): boolean {
    return this.proofs < this.proof.prefixProofs.length;
  }

  /** Finishes: prefix roots, exact counts, then the log-tree root(s). */
  finish(target: InclusionTarget): LogWalkOutput {
    const rootless = this.rootless();
    if (this.proof.prefixRoots.length !== rootless.length) {
      throw new KeyTransError('PROOF_SHAPE', 'proof has the wrong number of prefix roots');
    }
    rootless.forEach((p, i) => this.roots.set(p, this.proof.prefixRoots[i] as Uint8Array));
    if (this.ts !== this.proof.timestamps.length)
      throw new KeyTransError('PROOF_SHAPE', 'proof has extra timestamps');
    if (this.proofs !== this.proof.prefixProofs.length) {
      throw new KeyTransError('PROOF_SHAPE', 'proof has extra prefix proofs');
    }
    let next = 0;
    const walk = walkLogTree(
      this.suite,
      { ...target, leaves: this.leaves() },
      {
        head: () => {
          const v = this.proof.inclusion[next++];
          if (v === undefined)
            throw new KeyTransError('PROOF_SHAPE', 'inclusion proof is missing elements');
          return v;
        },
      },
    );
    if (next !== this.proof.inclusion.length)
      throw new KeyTransError('PROOF_SHAPE', 'inclusion proof has extra elements');
    return walk;
  }
}
