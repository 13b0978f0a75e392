import { constantTimeEqual } from '@parley/bytes';
import {
  contactMonitor,
  fixedVersionSearch,
  greatestVersionSearch,
  ownerInit,
  ownerInitVersions,
  ownerMonitor,
  rightmostDistinguished,
  verifyUpdate as verifyUpdateAlgorithm,
  walkDistinguished,
  type SearchResult,
} from './algorithms.js';
import type { SearchedKey } from './prefix-tree.js';
import { KeyTransError, check } from './errors.js';
import { level } from './implicit-tree.js';
import { searchLadderVersions } from './ladder.js';
import type {
  ContactState,
  KeyTransChanges,
  KeyTransStore,
  KnownVersion,
  OwnerState,
} from './state.js';
import type {
  BinaryLadderStep,
  ContactMonitorRequest,
  DistinguishedResponse,
  MonitorMapEntry,
  MonitorResponse,
  OwnerInitResponse,
  OwnerMonitorRequest,
  SearchResponse,
  UpdateRequest,
  UpdateResponse,
} from './structures.js';
import { commit, vrfInput } from './tbs.js';
import { verifyWithHead, type ClientContext } from './verify-head.js';
import { updateLadderVersions } from './update-versions.js';

/**
 * The user's side of the -05 operations (§12). Each verify function checks a decoded response
 * against the store's state and returns `{ output, changes }`; nothing is written until the
 * caller commits the changes, so a response that fails verification changes nothing.
 */

/** A verified result and the state changes to persist with it. */
export interface Verified<T> {
  readonly output: T;
  readonly changes: KeyTransChanges;
}

function verifyLadder(
  ctx: ClientContext,
  label: Uint8Array,
  versions: readonly number[],
  steps: readonly BinaryLadderStep[],
): Map<number, SearchedKey> {
  if (steps.length !== versions.length) {
    throw new KeyTransError('PROOF_SHAPE', 'binary ladder has the wrong number of VRF proofs');
  }
  const out = new Map<number, SearchedKey>();
  versions.forEach((version, i) => {
    const step = steps[i] as BinaryLadderStep;
    const vrfOutput = ctx.suite.vrfVerify(
      ctx.config.vrfPublicKey,
      vrfInput(label, version),
      step.proof,
    );
    out.set(
      version,
      step.commitment === undefined ? { vrfOutput } : { vrfOutput, commitment: step.commitment },
    );
  });
  return out;
}

function known(map: ReadonlyMap<number, SearchedKey>): KnownVersion[] {
  return [...map.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([version, k]) => ({
      version,
      vrfOutput: k.vrfOutput,
      ...(k.commitment === undefined ? {} : { commitment: k.commitment }),
    }));
}

function keysOf(versions: readonly KnownVersion[]): Map<number, SearchedKey> {
  return new Map(
    versions.map((v) => [
      v.version,
      v.commitment === undefined
        ? { vrfOutput: v.vrfOutput }
        : { vrfOutput: v.vrfOutput, commitment: v.commitment },
    ]),
  );
}

/**
 * Whether entry `x` is a proper ancestor of entry `z` in the implicit binary search tree. The
 * test holds for every log size: a log's tree is the infinite tree cut at its size, and cutting
 * only skips entries, so ancestors in the cut tree are ancestors here.
 */
function isAncestor(x: number, z: number): boolean {
  const k = level(x);
  return k > level(z) && Math.abs(z - x) < 2 ** k;
}

/**
 * A monitoring map with `b`'s entries added to `a`'s: one version per position (the greater),
 * and one position per version where one of two positions is the other's ancestor (the lower
 * one: monitoring from it walks through the other). A second search of a version that
 * monitoring has not moved past its new terminal would otherwise list the version twice, which
 * the log refuses (`duplicate monitored version`), leaving the label unmonitorable.
 */
function mergeEntries(
  a: readonly MonitorMapEntry[],
  b: readonly MonitorMapEntry[],
): MonitorMapEntry[] {
  const byPosition = new Map<number, MonitorMapEntry>();
  for (const e of [...a, ...b]) {
    const seen = byPosition.get(e.position);
    if (seen === undefined || seen.version < e.version) byPosition.set(e.position, e);
  }
  const entries = [...byPosition.values()];
  const covered = (e: MonitorMapEntry): boolean =>
    entries.some((o) => o.version === e.version && isAncestor(e.position, o.position));
  return entries.filter((e) => !covered(e)).sort((x, y) => x.position - y.position);
}

/** The outcome of a verified search. */
export interface SearchOutput {
  readonly version: number;
  readonly value: Uint8Array;
  readonly terminal: number;
  /** Whether the client now monitors this label-version (contact monitoring). */
  readonly monitoring: boolean;
}

/** Verifies a SearchResponse (-05 §12.1) for `label` at `requestedVersion` (undefined: greatest). */
export function verifySearch(
  ctx: ClientContext,
  store: KeyTransStore,
  label: Uint8Array,
  requestedVersion: number | undefined,
  response: SearchResponse,
  now: number,
): Verified<SearchOutput> {
  const target = requestedVersion ?? response.version;
  check(target !== undefined, 'MALFORMED', 'search response has no version');
  check(
    requestedVersion === undefined || response.version === undefined,
    'MALFORMED',
    'unexpected version',
  );
  const versions = searchLadderVersions(target);
  const targetIndex = versions.indexOf(target);
  check(
    response.binaryLadder[targetIndex]?.commitment === undefined,
    'PROOF_SHAPE',
    'commitment sent for the target version',
  );
  const keys = verifyLadder(ctx, label, versions, response.binaryLadder);
  const commitment = commit(
    ctx.suite,
    ctx.config.mode,
    response.opening,
    label,
    target,
    response.value,
  );
  keys.set(target, { vrfOutput: (keys.get(target) as SearchedKey).vrfOutput, commitment });
  const { result, head } = verifyWithHead(
    ctx,
    store.head(),
    response.fullTreeHead,
    response.search,
    keys,
    now,
    (h, p) =>
      requestedVersion === undefined
        ? greatestVersionSearch(h, p, target)
        : fixedVersionSearch(h, p, target),
  );
  const search: SearchResult = result;
  const monitoring = ctx.config.mode === 1 && search.mustMonitor;
  const contacts: (readonly [Uint8Array, ContactState])[] = [];
  if (monitoring) {
    const existing = store.contact(label);
    const kept = keysOf(existing?.versions ?? []);
    for (const [v, k] of keys) if (k.commitment !== undefined || !kept.has(v)) kept.set(v, k);
    contacts.push([
      label,
      {
        label,
        entries: mergeEntries(existing?.entries ?? [], [
          { position: search.terminal, version: target },
        ]),
        versions: known(kept),
        lastMonitored: existing?.lastMonitored ?? now,
      },
    ]);
  }
  return {
    output: { version: target, value: response.value.value, terminal: search.terminal, monitoring },
    changes: { head, contacts },
  };
}

/** The ContactMonitorRequest for a monitored label, or undefined if it needs none. */
export function contactMonitorRequest(
  store: KeyTransStore,
  label: Uint8Array,
): ContactMonitorRequest | undefined {
  const state = store.contact(label);
  if (state === undefined || state.entries.length === 0) return undefined;
  const last = store.head()?.treeHead.treeSize;
  return { ...(last === undefined ? {} : { last }), label, entries: state.entries };
}

/** Verifies a ContactMonitorResponse (-05 §12.2). */
export function verifyContactMonitor(
  ctx: ClientContext,
  store: KeyTransStore,
  label: Uint8Array,
  response: MonitorResponse,
  now: number,
): Verified<{ readonly remaining: number }> {
  const state = store.contact(label);
  if (state === undefined) throw new KeyTransError('MISUSE', 'label is not monitored');
  const { result, head } = verifyWithHead(
    ctx,
    store.head(),
    response.fullTreeHead,
    response.monitor,
    keysOf(state.versions),
    now,
    (h, p) => contactMonitor(h, p, state.entries),
  );
  const next: ContactState | null =
    result.length === 0 ? null : { ...state, entries: result, lastMonitored: now };
  return { output: { remaining: result.length }, changes: { head, contacts: [[label, next]] } };
}

/** Verifies an OwnerInitResponse (-05 §12.3) for a label the user takes ownership of at `start`. */
export function verifyOwnerInit(
  ctx: ClientContext,
  store: KeyTransStore,
  label: Uint8Array,
  start: number,
  response: OwnerInitResponse,
  now: number,
): Verified<{ readonly greatestVersion: number | undefined }> {
  const greatest = response.greatestVersions;
  const versions = ownerInitVersions(greatest);
  const top = greatest[0];
  versions.forEach((v, i) => {
    const present = response.binaryLadder[i]?.commitment !== undefined;
    check(
      present === (top !== undefined && v <= top),
      'PROOF_SHAPE',
      'commitments do not match the versions that exist',
    );
  });
  const keys = verifyLadder(ctx, label, versions, response.binaryLadder);
  const { head } = verifyWithHead(
    ctx,
    store.head(),
    response.fullTreeHead,
    response.init,
    keys,
    now,
    (h, p) => ownerInit(h, p, start, greatest),
  );
  const owner: OwnerState = {
    label,
    start,
    inserted: top === undefined ? [] : [{ version: top, position: start }],
    versions: known(keys),
    entries: [],
    lastMonitored: now,
  };
  return { output: { greatestVersion: top }, changes: { head, owners: [[label, owner]] } };
}

function expectedAt(owner: OwnerState): (position: number) => number | undefined {
  return (position) => {
    let best: number | undefined;
    for (const i of owner.inserted)
      if (i.position <= position && (best === undefined || i.version > best)) best = i.version;
    return best;
  };
}

/** The OwnerMonitorRequest for an owned label. */
export function ownerMonitorRequest(store: KeyTransStore, label: Uint8Array): OwnerMonitorRequest {
  const owner = store.owned(label);
  if (owner === undefined) throw new KeyTransError('MISUSE', 'label is not owned');
  const last = store.head()?.treeHead.treeSize;
  const greatest = owner.inserted[owner.inserted.length - 1]?.version;
  return {
    ...(last === undefined ? {} : { last }),
    label,
    entries: owner.entries,
    start: owner.start,
    ...(greatest === undefined ? {} : { greatestVersion: greatest }),
  };
}

/** Verifies an OwnerMonitorResponse (-05 §12.4). */
export function verifyOwnerMonitor(
  ctx: ClientContext,
  store: KeyTransStore,
  label: Uint8Array,
  response: MonitorResponse,
  now: number,
): Verified<{ readonly start: number; readonly complete: boolean }> {
  const owner = store.owned(label);
  if (owner === undefined) throw new KeyTransError('MISUSE', 'label is not owned');
  const { result, head } = verifyWithHead(
    ctx,
    store.head(),
    response.fullTreeHead,
    response.monitor,
    keysOf(owner.versions),
    now,
    (h, p) => {
      const entries = contactMonitor(h, p, owner.entries, owner.start);
      const start = ownerMonitor(h, p, owner.start, { expectedAt: expectedAt(owner) }, () =>
        h.hasMorePrefixProofs(),
      );
      return { entries, start, complete: start >= (rightmostDistinguished(h, p) ?? 0) };
    },
  );
  const next: OwnerState = {
    ...owner,
    entries: result.entries,
    start: result.start,
    lastMonitored: now,
  };
  // Incomplete (the log stopped before the rightmost distinguished entry): the log holds
  // versions this owner has not processed; fetch them with an empty Update next.
  return {
    output: { start: result.start, complete: result.complete },
    changes: { head, owners: [[label, next]] },
  };
}

/** The outcome of a verified update: the new versions and whether the owner asked for them. */
export interface UpdateOutput {
  readonly position: number;
  readonly versions: readonly { readonly version: number; readonly value: Uint8Array }[];
  /** True when the log created versions this owner did not ask for: alert the user. */
  readonly foreign: boolean;
}

/** Verifies an UpdateResponse (-05 §12.5) to `request`. */
export function verifyUpdate(
  ctx: ClientContext,
  store: KeyTransStore,
  request: UpdateRequest,
  response: UpdateResponse,
  now: number,
): Verified<UpdateOutput> {
  const { label } = request;
  const owner = store.owned(label);
  if (owner === undefined) throw new KeyTransError('MISUSE', 'label is not owned');
  const previous = owner.inserted[owner.inserted.length - 1];
  check(
    previous?.version === request.greatestVersion,
    'MISUSE',
    'request does not match the owner state',
  );
  check(
    response.position > (previous?.position ?? owner.start),
    'VERSION_MISMATCH',
    'new versions are not right of the previous ones',
  );
  const values = response.values.length > 0 ? response.values : request.values;
  check(
    response.info.length === values.length && values.length > 0,
    'PROOF_SHAPE',
    'update info does not match the values',
  );
  const first = (request.greatestVersion ?? -1) + 1;
  const newVersions = values.map((_, i) => first + i);
  const newGreatest = first + values.length - 1;
  const ladderVersions = updateLadderVersions(request.greatestVersion, newGreatest, newVersions);
  ladderVersions.forEach((v, i) => {
    const c = response.binaryLadder[i]?.commitment;
    check(
      c === undefined || (request.greatestVersion !== undefined && v <= request.greatestVersion),
      'PROOF_SHAPE',
      'commitment sent for a new version',
    );
  });
  const keys = keysOf(owner.versions);
  for (const [v, k] of verifyLadder(ctx, label, ladderVersions, response.binaryLadder)) {
    const kept = keys.get(v);
    if (kept !== undefined && !constantTimeEqual(kept.vrfOutput, k.vrfOutput)) {
      throw new KeyTransError('VRF_INVALID', 'a version has two VRF outputs');
    }
    keys.set(v, k.commitment === undefined && kept?.commitment !== undefined ? kept : k);
  }
  newVersions.forEach((version, i) => {
    const known = keys.get(version);
    check(known !== undefined, 'PROOF_SHAPE', 'a new version has no VRF proof');
    const opening = (response.info[i] as { opening: Uint8Array }).opening;
    keys.set(version, {
      vrfOutput: known.vrfOutput,
      commitment: commit(ctx.suite, ctx.config.mode, opening, label, version, {
        value: values[i] as Uint8Array,
      }),
    });
  });
  const { result, head } = verifyWithHead(
    ctx,
    store.head(),
    response.fullTreeHead,
    response.update,
    keys,
    now,
    (h, p) =>
      verifyUpdateAlgorithm(
        h,
        p,
        response.position,
        newGreatest,
        newVersions,
        request.greatestVersion,
      ),
  );
  const next: OwnerState = {
    ...owner,
    inserted: [...owner.inserted, { version: newGreatest, position: response.position }],
    versions: known(keys),
    entries: result === undefined ? owner.entries : mergeEntries(owner.entries, [result]),
  };
  return {
    output: {
      position: response.position,
      versions: newVersions.map((version, i) => ({ version, value: values[i] as Uint8Array })),
      foreign: response.values.length > 0,
    },
    changes: { head, owners: [[label, next]] },
  };
}

/** Verifies a DistinguishedResponse (-05 §12.6); returns the recent distinguished entries. */
export function verifyDistinguished(
  ctx: ClientContext,
  store: KeyTransStore,
  stop: number | undefined,
  recentWindow: number,
  response: DistinguishedResponse,
  now: number,
): Verified<{ readonly entries: readonly number[] }> {
  const { result, head } = verifyWithHead(
    ctx,
    store.head(),
    response.fullTreeHead,
    response.distinguished,
    new Map(),
    now,
    (h, p) => walkDistinguished(h, p, stop, (t, rightmost) => rightmost - t < recentWindow),
  );
  return { output: { entries: result }, changes: { head } };
}

/**
 * Labels whose monitoring is overdue by more than `allowance` ms: the log has not answered (or
 * the client has not asked) for that long, so their state is "cannot verify", never success.
 */
export function overdueMonitoring(
  store: KeyTransStore,
  now: number,
  allowance: number,
): Uint8Array[] {
  const late: Uint8Array[] = [];
  for (const c of store.contacts())
    if (c.entries.length > 0 && now - c.lastMonitored > allowance) late.push(c.label);
  for (const o of store.owners()) if (now - o.lastMonitored > allowance) late.push(o.label);
  return late;
}
