import { constantTimeEqual, toHex } from '@parley/bytes';
import {
  contactMonitor,
  fixedVersionSearch,
  greatestVersionSearch,
  isDistinguished,
  ownerInit,
  ownerInitEntries,
  ownerInitVersions,
  ownerMonitor,
  updateView,
  verifyUpdate,
  walkDistinguished,
  type TreeParams,
} from './algorithms.js';
import { RecordingHandle, type LogData, type RetainedEntry } from './combined-proof.js';
import { KeyTransError, check } from './errors.js';
import { headConsistencyProof, type HeadConsistencyRequest } from './head-consistency.js';
import { directPath, frontier } from './implicit-tree.js';
import { searchLadderVersions } from './ladder.js';
import {
  MAX_ENTRY_ADDITIONS,
  MAX_LABEL_BYTES,
  MAX_OWNER_LADDERS,
  MAX_TIMESTAMP,
  MAX_UPDATE_VALUES,
  MAX_VALUE_BYTES,
  MAX_VERSION,
} from './limits.js';
import { fullSubtrees, rootFromFullSubtrees } from './log-tree.js';
import { LogTreeStore } from './log-tree-store.js';
import { EMPTY, PrefixNodes, type SearchedKey } from './prefix-tree.js';
import type {
  AuditorTreeHead,
  AuditorUpdate,
  BinaryLadderStep,
  CombinedTreeProof,
  Configuration,
  ContactMonitorRequest,
  DistinguishedRequest,
  DistinguishedResponse,
  FullTreeHead,
  MonitorMapEntry,
  MonitorResponse,
  OwnerInitRequest,
  OwnerInitResponse,
  OwnerMonitorRequest,
  PrefixLeaf,
  SearchRequest,
  SearchResponse,
  TreeHead,
  UpdateRequest,
  UpdateResponse,
} from './structures.js';
import { OPENING_LENGTH, type Suite } from './suite.js';
import { commit, logEntryHash, treeHeadTbs, vrfInput } from './tbs.js';
import { updateLadderVersions } from './update-versions.js';
import { checkConfiguration } from './verify-head.js';

/**
 * The Transparency Log's side (-05 §§3, 12, 14.2): the combined tree in memory, one log entry
 * per `sequence` call, and every response built by running the client's algorithms on a
 * recording handle. Pure: the clock, randomness (through the suite's primitives) and storage
 * are the caller's; `restore` replays stored entries without VRF proving.
 */

/** One label-version as the log holds it. */
export interface LabelVersion {
  readonly label: Uint8Array;
  readonly version: number;
  readonly position: number;
  readonly vrfOutput: Uint8Array;
  readonly commitment: Uint8Array;
  readonly opening: Uint8Array;
  readonly value: Uint8Array;
}

/** The log's private keys. */
export interface LogKeys {
  readonly signingKey: Uint8Array;
  readonly vrfKey: Uint8Array;
}

export interface LogOptions {
  /** "Recent" for the distinguished walk: entries less than this many ms before the rightmost. */
  readonly recentWindow: number;
}

const key = (label: Uint8Array): string => toHex(label);

export class TransparencyLog {
  protected readonly logTree: LogTreeStore;
  protected readonly prefix: PrefixNodes;
  protected readonly timestamps: number[] = [];
  protected readonly roots: number[] = [];
  private readonly labels = new Map<string, LabelVersion[]>();
  private readonly pending = new Map<string, { label: Uint8Array; values: Uint8Array[] }>();
  /** Values in `pending`. */
  private pendingValues = 0;
  private readonly proofs = new Map<string, Uint8Array>();
  private readonly outputs = new Map<string, Uint8Array>();
  protected signedHead: TreeHead | undefined;
  protected auditorHead: AuditorTreeHead | undefined;

  constructor(
    readonly suite: Suite,
    readonly config: Configuration,
    private readonly keys: LogKeys,
    private readonly options: LogOptions,
  ) {
    checkConfiguration(config);
    this.logTree = new LogTreeStore(suite);
    this.prefix = new PrefixNodes(suite);
  }

  /** Number of log entries. */
  get size(): number {
    return this.timestamps.length;
  }

  /** Bytes the in-memory trees hold (benchmark). */
  get treeBytes(): number {
    return this.logTree.byteLength + this.prefix.byteLength;
  }

  /** The greatest version of `label`, or -1. */
  greatest(label: Uint8Array): number {
    return (this.labels.get(key(label))?.length ?? 0) - 1;
  }

  /** Version `version` of `label`, if it exists. */
  labelVersion(label: Uint8Array, version: number): LabelVersion | undefined {
    return this.labels.get(key(label))?.[version];
  }

  /**
   * Queues new versions of `label` for the next entry. `greatestVersion` must be the label's
   * greatest version; one request per label per entry (a second one waits for the next entry:
   * an UpdateResponse says that nothing but the request's own versions was created in its
   * entry). Returns the first new version.
   */
  enqueue(
    label: Uint8Array,
    greatestVersion: number | undefined,
    values: readonly Uint8Array[],
  ): number {
    check(label.length <= MAX_LABEL_BYTES, 'LIMIT_EXCEEDED', 'label is too long');
    check(
      values.length > 0 && values.length <= MAX_UPDATE_VALUES,
      'INVALID_REQUEST',
      'no values or too many',
    );
    check(
      values.every((v) => v.length <= MAX_VALUE_BYTES),
      'LIMIT_EXCEEDED',
      'value is too long',
    );
    check(
      !this.pending.has(key(label)),
      'UPDATE_PENDING',
      'the label already has versions waiting for this entry',
    );
    const current = this.greatest(label);
    check((greatestVersion ?? -1) === current, 'INVALID_REQUEST', 'greatest version is stale');
    check(current + values.length <= MAX_VERSION, 'LIMIT_EXCEEDED', 'version counter exhausted');
    check(
      this.pendingValues + values.length <= MAX_ENTRY_ADDITIONS,
      'UPDATE_PENDING',
      'entry is full',
    );
    this.pending.set(key(label), { label: label.slice(), values: [...values] });
    this.pendingValues += values.length;
    // The VRF outputs now, while the entry fills, not all at once when it is sequenced.
    for (let v = current + 1; v <= current + values.length; v++) this.vrfOutput(label, v);
    return current + 1;
  }

  /**
   * Makes `value` the label's greatest version in the next entry, unless it already is (the
   * relay's bridge, which publishes for owners and checks nothing): `same` when nothing was
   * queued. Throws like {@link enqueue} (`UPDATE_PENDING` when the label is already queued).
   */
  publish(label: Uint8Array, value: Uint8Array): 'queued' | 'same' {
    const current = this.greatest(label);
    const greatest = current < 0 ? undefined : this.labelVersion(label, current);
    if (
      greatest !== undefined &&
      !this.pending.has(key(label)) &&
      constantTimeEqual(greatest.value, value)
    ) {
      return 'same';
    }
    this.enqueue(label, greatest === undefined ? undefined : current, [value]);
    return 'queued';
  }

  /** Whether `label` has versions waiting for the next entry. */
  isPending(label: Uint8Array): boolean {
    return this.pending.has(key(label));
  }

  /** Whether anything is queued. */
  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Sequences one log entry at `timestamp` holding everything queued (a heartbeat if nothing
   * is); returns the new label-versions for the caller to store.
   */
  sequence(timestamp: number): LabelVersion[] {
    const position = this.size;
    const added: LabelVersion[] = [];
    for (const { label, values } of this.pending.values()) {
      let version = this.greatest(label) + 1;
      for (const value of values) {
        const opening = this.suite.primitives.randomBytes(OPENING_LENGTH);
        const commitment = commit(this.suite, this.config.mode, opening, label, version, { value });
        const vrfOutput = this.vrfOutput(label, version);
        this.outputs.delete(`${key(label)}:${version}`); // stored with the label-version now
        added.push({ label, version, position, vrfOutput, commitment, opening, value });
        version++;
      }
    }
    this.pending.clear();
    this.pendingValues = 0;
    this.restore(timestamp, added);
    return added;
  }

  /** Appends an entry with already-computed label-versions (replay from storage, benchmarks). */
  restore(timestamp: number, added: readonly LabelVersion[]): void {
    check(
      Number.isSafeInteger(timestamp) && timestamp >= 0 && timestamp <= MAX_TIMESTAMP,
      'MISUSE',
      'bad timestamp',
    );
    const last = this.timestamps[this.timestamps.length - 1];
    check(last === undefined || timestamp >= last, 'MISUSE', 'timestamps must not go backwards');
    const position = this.size;
    const previousRoot = this.roots[position - 1] ?? EMPTY;
    const root = this.prefix.insert(
      previousRoot,
      added.map((a) => ({ vrfOutput: a.vrfOutput, commitment: a.commitment })),
    );
    for (const a of added) {
      check(a.position === position, 'MISUSE', 'label-version for another entry');
      const list = this.labels.get(key(a.label)) ?? [];
      check(list.length === a.version, 'MISUSE', 'versions must be added in order');
      list.push(a);
      this.labels.set(key(a.label), list);
    }
    this.timestamps.push(timestamp);
    this.roots.push(root);
    this.logTree.append(logEntryHash(this.suite, timestamp, this.prefix.hash(root)));
    this.signedHead = undefined;
  }

  /** The signed head of the current tree. */
  treeHead(): TreeHead {
    check(this.size > 0, 'INVALID_REQUEST', 'the log is empty');
    if (this.signedHead === undefined) {
      const root = rootOf(this.suite, this.logTree, this.size);
      const signature = this.suite.sign(
        this.keys.signingKey,
        treeHeadTbs(this.config, this.size, root),
      );
      this.signedHead = { treeSize: this.size, signature };
    }
    return this.signedHead;
  }

  /** The log root at `size` (for the auditor's cross-check and tests). */
  rootAt(size: number): Uint8Array {
    return rootOf(this.suite, this.logTree, size);
  }

  /** The timestamp of entry `position`. */
  timestampAt(position: number): number {
    const t = this.timestamps[position];
    if (t === undefined) throw new KeyTransError('INVALID_REQUEST', 'no such entry');
    return t;
  }

  /** The prefix-tree root value of entry `position`. */
  prefixRootAt(position: number): Uint8Array {
    return this.prefix.hash(this.roots[position] as number).slice();
  }

  /** Stores the auditor's latest head (mode 3); it must not be ahead of the log. */
  setAuditorTreeHead(head: AuditorTreeHead): void {
    check(head.treeSize <= this.size, 'INVALID_REQUEST', 'auditor head is ahead of the log');
    this.auditorHead = head;
  }

  /** The AuditorUpdate for the entry at `position` (-05 §14.2). */
  auditorUpdate(position: number): AuditorUpdate {
    check(position >= 0 && position < this.size, 'INVALID_REQUEST', 'no such entry');
    const added = this.entryAdditions(position).sort((a, b) => compare(a.vrfOutput, b.vrfOutput));
    const before = this.roots[position - 1] ?? EMPTY;
    const { proof } = this.prefix.search(
      before,
      added.map((a) => a.vrfOutput),
    );
    return { timestamp: this.timestamps[position] as number, added, removed: [], proof };
  }

  private entryAdditions(position: number): PrefixLeaf[] {
    const out: PrefixLeaf[] = [];
    for (const list of this.labels.values()) {
      for (const v of list)
        if (v.position === position) out.push({ vrfOutput: v.vrfOutput, commitment: v.commitment });
    }
    return out;
  }

  // -- responses ----------------------------------------------------------------------------

  /** SearchResponse (-05 §12.1). A missing label or version is `NOT_FOUND` (no negative results in -05). */
  search(request: SearchRequest): SearchResponse {
    const list = this.labels.get(key(request.label));
    if (list === undefined || list.length === 0)
      throw new KeyTransError('NOT_FOUND', 'no such label');
    const target = request.version ?? this.greatestAt(request.label, this.size - 1);
    const record = list[target];
    if (record === undefined) throw new KeyTransError('NOT_FOUND', 'no such version');
    const binaryLadder = searchLadderVersions(target).map((v) =>
      this.ladderStep(request.label, v, v !== target && v < list.length),
    );
    const { fullTreeHead, proof } = this.respond(request.last, request.label, (h, p) =>
      request.version === undefined
        ? greatestVersionSearch(h, p, target)
        : fixedVersionSearch(h, p, target),
    );
    return {
      fullTreeHead,
      ...(request.version === undefined ? { version: target } : {}),
      opening: record.opening,
      value: { value: record.value },
      binaryLadder,
      search: proof,
    };
  }

  /** ContactMonitorResponse (-05 §12.2). Always answered: no access control on monitoring. */
  contactMonitor(request: ContactMonitorRequest): MonitorResponse {
    this.checkEntries(request.label, request.entries);
    const { fullTreeHead, proof } = this.respond(request.last, request.label, (h, p) =>
      contactMonitor(h, p, request.entries),
    );
    return { fullTreeHead, monitor: proof };
  }

  /** OwnerInitResponse (-05 §12.3). */
  ownerInit(request: OwnerInitRequest): OwnerInitResponse {
    check(request.start < this.size, 'INVALID_REQUEST', 'start is outside the log');
    const greatest: number[] = [];
    for (const x of ownerInitEntries(this.size, request.start)) {
      const g = this.greatestAt(request.label, x);
      if (g < 0) break;
      greatest.push(g);
    }
    const top = greatest[0];
    const binaryLadder = ownerInitVersions(greatest).map((v) =>
      this.ladderStep(request.label, v, top !== undefined && v <= top),
    );
    const { fullTreeHead, proof } = this.respond(request.last, request.label, (h, p) =>
      ownerInit(h, p, request.start, greatest),
    );
    return { fullTreeHead, greatestVersions: greatest, binaryLadder, init: proof };
  }

  /** OwnerMonitorResponse (-05 §12.4). */
  ownerMonitor(request: OwnerMonitorRequest): MonitorResponse {
    this.checkEntries(request.label, request.entries);
    check(request.start < this.size, 'INVALID_REQUEST', 'start is outside the log');
    const greatest = this.greatest(request.label);
    const advertised = request.greatestVersion ?? -1;
    check(advertised <= greatest, 'INVALID_REQUEST', 'greatest version is ahead of the log');
    check(
      this.greatestAt(request.label, request.start) <= advertised,
      'INVALID_REQUEST',
      'greatest version is behind the start',
    );
    let ladders = 0;
    const { fullTreeHead, proof } = this.respond(request.last, request.label, (h, p) => {
      contactMonitor(h, p, request.entries, request.start);
      ownerMonitor(
        h,
        p,
        request.start,
        { expectedAt: (x) => nonNegative(this.greatestAt(request.label, x)) },
        (x) => ladders++ < MAX_OWNER_LADDERS && this.greatestAt(request.label, x) <= advertised,
      );
    });
    return { fullTreeHead, monitor: proof };
  }

  /**
   * UpdateResponse (-05 §12.5) for the versions after `request.greatestVersion`, created in one
   * entry. `created`: the request's own values made them (then `values` is empty).
   */
  update(request: UpdateRequest, created: boolean): UpdateResponse {
    const list = this.labels.get(key(request.label)) ?? [];
    const first = (request.greatestVersion ?? -1) + 1;
    const firstRecord = list[first];
    if (firstRecord === undefined)
      throw new KeyTransError('INVALID_REQUEST', 'no newer version exists');
    const records = list.slice(first).filter((r) => r.position === firstRecord.position);
    const newVersions = records.map((r) => r.version);
    const newGreatest = newVersions[newVersions.length - 1] as number;
    const binaryLadder = updateLadderVersions(
      request.greatestVersion,
      newGreatest,
      newVersions,
    ).map((v) =>
      this.ladderStep(
        request.label,
        v,
        request.greatestVersion !== undefined && v <= request.greatestVersion,
      ),
    );
    const { fullTreeHead, proof } = this.respond(request.last, request.label, (h, p) =>
      verifyUpdate(h, p, firstRecord.position, newGreatest, newVersions, request.greatestVersion),
    );
    return {
      fullTreeHead,
      position: firstRecord.position,
      values: created ? [] : records.map((r) => r.value),
      info: records.map((r) => ({ opening: r.opening })),
      binaryLadder,
      update: proof,
    };
  }

  /** DistinguishedResponse (-05 §12.6). */
  distinguished(request: DistinguishedRequest): DistinguishedResponse {
    const { fullTreeHead, proof } = this.respond(request.last, new Uint8Array(), (h, p) =>
      walkDistinguished(
        h,
        p,
        request.stop,
        (t, rightmost) => rightmost - t < this.options.recentWindow,
      ),
    );
    return { fullTreeHead, distinguished: proof };
  }

  /** Positions of the distinguished entries (for choosing an owner's start). */
  distinguishedEntries(): number[] {
    const data = this.data(new Uint8Array());
    const h = new RecordingHandle(this.suite, data, new Map(), []);
    const p = this.params();
    const out: number[] = [];
    for (let x = 0; x < this.size; x++) if (isDistinguished(h, p, x)) out.push(x);
    return out;
  }

  private params(): TreeParams {
    return { size: this.size, reasonableMonitoringWindow: this.config.reasonableMonitoringWindow };
  }

  private respond<T>(
    last: number | undefined,
    label: Uint8Array,
    run: (h: RecordingHandle, p: TreeParams) => T,
  ): { fullTreeHead: FullTreeHead; proof: CombinedTreeProof; result: T } {
    const size = this.size;
    check(size > 0, 'INVALID_REQUEST', 'the log is empty');
    check(
      last === undefined || (last >= 1 && last <= size),
      'INVALID_REQUEST',
      'advertised tree size is unknown',
    );
    const retained: RetainedEntry[] =
      last === undefined
        ? []
        : frontier(last).map((x) => ({
            position: x,
            timestamp: this.timestamps[x] as number,
            prefixRoot: this.prefix.hash(this.roots[x] as number).slice(),
          }));
    const h = new RecordingHandle(
      this.suite,
      this.data(label),
      new LazyVersions(this, label),
      retained,
    );
    const params = this.params();
    updateView(h, size, last);
    const result = run(h, params);
    const same = last === size;
    const auditor = this.config.mode === 3 && !same ? this.auditorHead : undefined;
    if (this.config.mode === 3 && !same && auditor === undefined) {
      throw new KeyTransError('INVALID_REQUEST', 'no auditor head yet');
    }
    const { proof } = h.finish({
      size,
      ...(last === undefined
        ? {}
        : {
            retained: { size: last, values: fullSubtrees(last).map((t) => this.logTree.head(t)) },
          }),
      ...(auditor === undefined ? {} : { secondSize: auditor.treeSize }),
    });
    const fullTreeHead: FullTreeHead = same
      ? { type: 'same' }
      : {
          type: 'updated',
          treeHead: this.treeHead(),
          ...(auditor === undefined ? {} : { auditorTreeHead: auditor }),
        };
    return { fullTreeHead, proof, result };
  }

  protected data(label: Uint8Array): LogData {
    return {
      timestamp: (x) => this.timestamps[x] as number,
      prefixRoot: (x) => this.prefix.hash(this.roots[x] as number).slice(),
      greatestVersion: (x) => this.greatestAt(label, x),
      search: (x, keys) => this.prefix.search(this.roots[x] as number, keys).proof,
      subtreeHead: (t) => this.logTree.head(t),
    };
  }

  /** The proof that the heads of two sizes are one history (`head-consistency.ts`). */
  headConsistency(request: HeadConsistencyRequest): Uint8Array[] {
    return headConsistencyProof(this.suite, request, this.size, (t) => this.logTree.head(t));
  }

  /** The greatest version of `label` in the prefix tree of entry `position`, or -1. */
  greatestAt(label: Uint8Array, position: number): number {
    const list = this.labels.get(key(label));
    if (list === undefined) return -1;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as LabelVersion).position <= position) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** VRF proof for a label-version (made on first use, then cached). */
  vrfProof(label: Uint8Array, version: number): Uint8Array {
    const k = `${key(label)}:${version}`;
    let proof = this.proofs.get(k);
    if (proof === undefined) {
      const made = this.suite.vrfProveWithOutput(this.keys.vrfKey, vrfInput(label, version));
      proof = made.proof;
      this.proofs.set(k, proof);
      this.outputs.set(k, made.output);
    }
    return proof;
  }

  /** VRF output (search key) for a label-version: stored, cached, or evaluated without a proof. */
  vrfOutput(label: Uint8Array, version: number): Uint8Array {
    const stored = this.labelVersion(label, version);
    if (stored !== undefined) return stored.vrfOutput;
    const k = `${key(label)}:${version}`;
    let output = this.outputs.get(k);
    if (output === undefined) {
      output = this.suite.vrfEvaluate(this.keys.vrfKey, vrfInput(label, version));
      this.outputs.set(k, output);
    }
    return output;
  }

  private ladderStep(
    label: Uint8Array,
    version: number,
    withCommitment: boolean,
  ): BinaryLadderStep {
    const proof = this.vrfProof(label, version);
    const record = this.labelVersion(label, version);
    return withCommitment && record !== undefined
      ? { proof, commitment: record.commitment }
      : { proof };
  }

  private checkEntries(label: Uint8Array, entries: readonly MonitorMapEntry[]): void {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as MonitorMapEntry;
      const prev = entries[i - 1];
      check(
        prev === undefined || prev.position < e.position,
        'INVALID_REQUEST',
        'monitor entries are not sorted',
      );
      check(
        entries.findIndex((o) => o.version === e.version) === i,
        'INVALID_REQUEST',
        'duplicate monitored version',
      );
      check(e.position < this.size, 'INVALID_REQUEST', 'monitored position is outside the log');
      const record = this.labelVersion(label, e.version);
      check(record !== undefined, 'INVALID_REQUEST', 'monitored version does not exist');
      check(
        e.position === record.position ||
          directPath(record.position, this.size).includes(e.position),
        'INVALID_REQUEST',
        'monitored position is not on the version’s direct path',
      );
    }
  }
}

/** The label's versions as the recording handle reads them, VRF outputs computed on demand. */
class LazyVersions extends Map<number, SearchedKey> {
  constructor(
    private readonly log: TransparencyLog,
    private readonly label: Uint8Array,
  ) {
    super();
  }

  override get(version: number): SearchedKey | undefined {
    const cached = super.get(version);
    if (cached !== undefined) return cached;
    const record = this.log.labelVersion(this.label, version);
    const value: SearchedKey =
      record === undefined
        ? { vrfOutput: this.log.vrfOutput(this.label, version) }
        : { vrfOutput: record.vrfOutput, commitment: record.commitment };
    super.set(version, value);
    return value;
  }
}

function nonNegative(v: number): number | undefined {
  return v < 0 ? undefined : v;
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function rootOf(suite: Suite, store: LogTreeStore, size: number): Uint8Array {
  return rootFromFullSubtrees(
    suite,
    size,
    fullSubtrees(size).map((t) => store.head(t)),
  );
}
