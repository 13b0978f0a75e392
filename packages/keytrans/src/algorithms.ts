import type { ProofHandle } from './combined-proof.js';
import { KeyTransError } from './errors.js';
import {
  directPath,
  frontier,
  hasLeft,
  hasRight,
  left,
  pathFromRoot,
  right,
  root,
} from './implicit-tree.js';
import { searchLadderVersions, type LadderOutcome } from './ladder.js';
import type { MonitorMapEntry } from './structures.js';

/**
 * The algorithms of -05 §§4–8 and §7, written once against a {@link ProofHandle}: the log runs
 * them to build a CombinedTreeProof, the client runs them to check one. Nothing here knows
 * which side it is on.
 */

/** The parts of the configuration the algorithms use. */
export interface TreeParams {
  /** Tree size of the head being verified. */
  readonly size: number;
  readonly reasonableMonitoringWindow: number;
}

/** Updating the view (-05 §4.2): timestamps from the previous size `previous` to `size`. */
export function updateView(h: ProofHandle, size: number, previous: number | undefined): void {
  if (previous === undefined) {
    for (const x of frontier(size)) h.timestamp(x);
    return;
  }
  if (previous === size) return;
  const path = directPath(previous - 1, size).filter((x) => x >= previous);
  for (const x of path) h.timestamp(x);
  let x = path[path.length - 1] ?? previous - 1;
  while (hasRight(x, size)) {
    x = right(x, size);
    h.timestamp(x);
  }
}

/**
 * Whether `x` is distinguished (-05 §6.1), reading the timestamps of its ancestors from the
 * root down and stopping at the first that is not distinguished.
 */
export function isDistinguished(h: ProofHandle, p: TreeParams, x: number): boolean {
  let lower = 0;
  let upper = h.timestamp(p.size - 1);
  for (const a of pathFromRoot(x, p.size)) {
    if (upper - lower < p.reasonableMonitoringWindow) return false;
    const t = h.timestamp(a);
    if (x < a) upper = t;
    else lower = t;
  }
  return upper - lower >= p.reasonableMonitoringWindow;
}

/** The rightmost distinguished entry (always on the frontier), or undefined. */
export function rightmostDistinguished(h: ProofHandle, p: TreeParams): number | undefined {
  let lower = 0;
  const upper = h.timestamp(p.size - 1);
  let found: number | undefined;
  for (const x of frontier(p.size)) {
    if (upper - lower < p.reasonableMonitoringWindow) break;
    found = x;
    lower = h.timestamp(x);
  }
  return found;
}

/** Result of a search: the terminal entry and whether the user must monitor from it. */
export interface SearchResult {
  readonly terminal: number;
  readonly mustMonitor: boolean;
}

/** Greatest-version search (-05 §6.3) for the claimed greatest version `version`. */
export function greatestVersionSearch(
  h: ProofHandle,
  p: TreeParams,
  version: number,
): SearchResult {
  const entries = frontier(p.size);
  const distinguished = rightmostDistinguished(h, p);
  const start = distinguished === undefined ? 0 : entries.indexOf(distinguished);
  let terminal: number | undefined;
  for (let i = start; i < entries.length; i++) {
    const x = entries[i] as number;
    const outcome = h.searchLadder(x, version, true);
    const last = i === entries.length - 1;
    if (outcome === 'greater' || (last && outcome !== 'equal')) {
      throw new KeyTransError('VERSION_MISMATCH', 'the log shows a different greatest version');
    }
    if (outcome === 'equal' && terminal === undefined) terminal = x;
  }
  const t = terminal as number;
  return { terminal: t, mustMonitor: distinguished === undefined || t > distinguished };
}

/**
 * Fixed-version search (-05 §7.2) without expiry: Parley's logs define no maximum lifetime, so
 * steps 1, 5.2 and 6.2 never apply (a configuration with one is refused at the edge).
 */
export function fixedVersionSearch(h: ProofHandle, p: TreeParams, version: number): SearchResult {
  let x = root(p.size);
  const greater: number[] = [];
  let terminal: number | undefined;
  for (;;) {
    const outcome: LadderOutcome = h.searchLadder(x, version, true);
    if (outcome === 'equal') {
      terminal = x;
      break;
    }
    if (outcome === 'greater') greater.push(x);
    if (outcome === 'less' && hasRight(x, p.size)) x = right(x, p.size);
    else if (outcome === 'greater' && hasLeft(x)) x = left(x);
    else break;
  }
  if (terminal === undefined) {
    if (greater.length === 0) throw new KeyTransError('NOT_FOUND', 'the version does not exist');
    const y = Math.min(...greater);
    const [included] = h.lookups(y, [version]);
    if (included !== true) throw new KeyTransError('NOT_FOUND', 'the version does not exist');
    terminal = y;
  }
  const distinguished = rightmostDistinguished(h, p);
  return { terminal, mustMonitor: distinguished === undefined || terminal > distinguished };
}

/**
 * Contact monitoring (-05 §8.2): moves each map entry up its direct path, with a monitoring
 * ladder from each new entry, until a distinguished entry is reached; returns the new map.
 * With `ownerStart`, the final distinguished entry is left to owner monitoring for entries at
 * or right of it (step 2.4).
 */
export function contactMonitor(
  h: ProofHandle,
  p: TreeParams,
  entries: readonly MonitorMapEntry[],
  ownerStart?: number,
): MonitorMapEntry[] {
  const provided = new Map<number, number>();
  const out: MonitorMapEntry[] = [];
  const sorted = [...entries].sort((a, b) => b.position - a.position);
  for (const entry of sorted) {
    if (isDistinguished(h, p, entry.position)) {
      out.push(entry);
      continue;
    }
    const list: number[] = [];
    for (const y of directPath(entry.position, p.size).filter((a) => a > entry.position)) {
      const d = isDistinguished(h, p, y);
      if (d && ownerStart !== undefined && entry.position >= ownerStart) break;
      list.push(y);
      if (d) break;
    }
    let current: MonitorMapEntry | undefined = entry;
    for (const y of list) {
      const earlier = provided.get(y);
      if (earlier !== undefined) {
        if (earlier > entry.version) {
          current = undefined;
          break;
        }
        throw new KeyTransError('MONITOR_FAILED', 'two monitored versions meet out of order');
      }
      h.monitoringLadder(y, entry.version);
      provided.set(y, entry.version);
      current = { position: y, version: entry.version };
    }
    if (current !== undefined) out.push(current);
  }
  return out
    .filter((e) => !isDistinguished(h, p, e.position))
    .sort((a, b) => a.position - b.position);
}

/** The entries owner initialization inspects: `start`, then its left-side ancestors upward. */
export function ownerInitEntries(size: number, start: number): number[] {
  return [start, ...directPath(start, size).filter((a) => a < start)];
}

/**
 * Owner initialization (-05 §8.3, first algorithm): checks that `start` is distinguished, then
 * a full search ladder from each entry for its greatest version (`greatest[i]`, absent past
 * the end where the label does not exist).
 */
export function ownerInit(
  h: ProofHandle,
  p: TreeParams,
  start: number,
  greatest: readonly number[],
): void {
  if (!isDistinguished(h, p, start)) {
    throw new KeyTransError('INVALID_REQUEST', 'the starting position is not distinguished');
  }
  h.timestamp(start);
  const list = ownerInitEntries(p.size, start);
  if (greatest.length > list.length)
    throw new KeyTransError('PROOF_SHAPE', 'too many greatest versions');
  for (let i = 1; i < greatest.length; i++) {
    if ((greatest[i] as number) > (greatest[i - 1] as number)) {
      throw new KeyTransError('VERSION_MISMATCH', 'greatest versions are not descending');
    }
  }
  list.forEach((x, i) => {
    const version = greatest[i];
    const outcome = h.searchLadder(x, version ?? 0, false);
    if (outcome !== (version === undefined ? 'less' : 'equal')) {
      throw new KeyTransError('VERSION_MISMATCH', 'a ladder disagrees with the greatest version');
    }
  });
}

/** The versions owner initialization needs VRF proofs for (step 3), ascending. */
export function ownerInitVersions(greatest: readonly number[]): number[] {
  const set = new Set<number>([0]);
  for (const g of greatest) for (const v of searchLadderVersions(g)) set.add(v);
  return [...set].sort((a, b) => a - b);
}

/** What owner monitoring needs to know about the owner's versions. */
export interface OwnerVersions {
  /** The greatest version the owner expects at `position`, or undefined if none existed. */
  expectedAt(position: number): number | undefined;
}

/**
 * Owner monitoring (-05 §8.3, second algorithm): a full search ladder from each distinguished
 * entry right of `start`, in order, until `more()` says stop. Returns the rightmost
 * distinguished entry verified (the owner's new `start`).
 */
export function ownerMonitor(
  h: ProofHandle,
  p: TreeParams,
  start: number,
  versions: OwnerVersions,
  more: (position: number) => boolean,
): number {
  let verified = start;
  const halt: { stopped: boolean } = { stopped: false };
  const stopped = (): boolean => halt.stopped;
  const visit = (x: number, lower: number, upper: number): void => {
    if (stopped() || upper - lower < p.reasonableMonitoringWindow) return;
    if (x <= start) {
      if (hasRight(x, p.size)) visit(right(x, p.size), h.timestamp(x), upper);
      return;
    }
    if (hasLeft(x)) visit(left(x), lower, h.timestamp(x));
    if (stopped() || !more(x)) {
      halt.stopped = true;
      return;
    }
    const expected = versions.expectedAt(x);
    const outcome = h.searchLadder(x, expected ?? 0, false);
    if (outcome !== (expected === undefined ? 'less' : 'equal')) {
      throw new KeyTransError(
        'UNEXPECTED_VERSION',
        'a distinguished entry shows a version the owner did not expect',
      );
    }
    verified = Math.max(verified, x);
    if (hasRight(x, p.size)) visit(right(x, p.size), h.timestamp(x), upper);
  };
  visit(root(p.size), 0, h.timestamp(p.size - 1));
  return verified;
}

/**
 * Verifying new versions (-05 §9, update algorithm): a greatest-version search in the previous
 * tree for `previousGreatest` (stops a malicious-then-benign swap), then how the versions were
 * created at `position`. Returns the contact-monitoring entry to add, if the position is not
 * distinguished. Step 2.1's skip rule needs the owner's history, which the log cannot see in
 * an UpdateRequest; both sides therefore inspect every entry from step 1's (a superset of the
 * lookups, never fewer).
 */
export function verifyUpdate(
  h: ProofHandle,
  p: TreeParams,
  position: number,
  newGreatest: number,
  newVersions: readonly number[],
  previousGreatest: number | undefined,
): MonitorMapEntry | undefined {
  if (position > 0) {
    const previousFrontier = frontier(position);
    const firstPlain = previousFrontier.findIndex((x) => !isDistinguished(h, p, x));
    if (firstPlain >= 0) {
      for (let i = firstPlain; i < previousFrontier.length; i++) {
        const x = previousFrontier[i] as number;
        const outcome = h.searchLadder(x, previousGreatest ?? 0, true);
        const last = i === previousFrontier.length - 1;
        const expected = previousGreatest === undefined ? 'less' : 'equal';
        if (outcome === 'greater' || (last && outcome !== expected)) {
          throw new KeyTransError(
            'UNEXPECTED_VERSION',
            'the previous tree shows versions the owner did not make',
          );
        }
      }
    }
  }
  const ladder = new Set(searchLadderVersions(newGreatest));
  const extra = newVersions.filter((v) => !ladder.has(v)).sort((a, b) => a - b);
  const distinguished = isDistinguished(h, p, position);
  if (!distinguished) {
    if (h.searchLadder(position, newGreatest, true) !== 'equal') {
      throw new KeyTransError(
        'VERSION_MISMATCH',
        'the new versions are not the greatest at their entry',
      );
    }
  }
  if (extra.length > 0 && h.lookups(position, extra).some((included) => !included)) {
    throw new KeyTransError('VERSION_MISMATCH', 'a new version is missing from its entry');
  }
  return distinguished ? undefined : { position, version: newGreatest };
}

/**
 * Walking distinguished heads (-05 §10, distinguished algorithm): the recent distinguished
 * entries, right to left, with `recent` the application's monotonic definition.
 */
export function walkDistinguished(
  h: ProofHandle,
  p: TreeParams,
  stop: number | undefined,
  recent: (timestamp: number, rightmost: number) => boolean,
): number[] {
  const found: number[] = [];
  const rightmostTs = h.timestamp(p.size - 1);
  const visit = (x: number, lower: number, upper: number): void => {
    if (upper - lower < p.reasonableMonitoringWindow) return;
    const t = h.timestamp(x);
    found.push(x);
    if (hasRight(x, p.size)) visit(right(x, p.size), t, upper);
    if (stop !== undefined && x <= stop) return;
    if (!recent(t, rightmostTs)) return;
    if (hasLeft(x)) visit(left(x), lower, t);
  };
  visit(root(p.size), 0, rightmostTs);
  return found.sort((a, b) => b - a);
}
