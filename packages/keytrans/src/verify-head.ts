import type { RetainedEntry } from './combined-proof.js';
import { ConsumingHandle, type VersionKeys } from './combined-proof.js';
import { updateView, type TreeParams } from './algorithms.js';
import { KeyTransError, check } from './errors.js';
import { frontier } from './implicit-tree.js';
import { MAX_TREE_SIZE } from './limits.js';
import type { HeadState } from './state.js';
import type { CombinedTreeProof, Configuration, FullTreeHead } from './structures.js';
import type { Suite } from './suite.js';
import { auditorTreeHeadTbs, treeHeadTbs } from './tbs.js';

/** What every client operation needs: the suite over the caller's primitives and the log's configuration. */
export interface ClientContext {
  readonly suite: Suite;
  readonly config: Configuration;
}

/** Refuses configurations this implementation does not verify. */
export function checkConfiguration(config: Configuration): void {
  if (config.mode === 2)
    throw new KeyTransError('MISUSE', 'third-party management is not implemented');
  if (config.maximumLifetime !== undefined) {
    throw new KeyTransError('MISUSE', 'logs with a maximum lifetime are not implemented');
  }
}

/**
 * Verifies one response's FullTreeHead and CombinedTreeProof around `run` (the operation's
 * algorithm): updates the view from the retained head, runs the algorithm on the same handle,
 * computes the root(s) from the inclusion proof and retained subtrees, checks the signatures,
 * the auditor head and the clock. Returns the algorithm's result and the new head; changes
 * nothing itself.
 */
export function verifyWithHead<T>(
  ctx: ClientContext,
  previous: HeadState | undefined,
  fullTreeHead: FullTreeHead,
  proof: CombinedTreeProof,
  versions: VersionKeys,
  now: number,
  run: (h: ConsumingHandle, p: TreeParams) => T,
): { result: T; head: HeadState; handle: ConsumingHandle } {
  const { suite, config } = ctx;
  checkConfiguration(config);
  const last = previous?.treeHead.treeSize;
  let size: number;
  if (fullTreeHead.type === 'same') {
    if (previous === undefined)
      throw new KeyTransError('HEAD_NOT_NEWER', '"same" head without an advertised one');
    size = previous.treeHead.treeSize;
  } else {
    size = fullTreeHead.treeHead.treeSize;
    check(size >= 1 && size <= MAX_TREE_SIZE, 'LIMIT_EXCEEDED', 'tree size out of range');
    if (last !== undefined && size <= last)
      throw new KeyTransError('HEAD_NOT_NEWER', 'tree head is not newer');
    if (config.mode === 3) {
      const a = fullTreeHead.auditorTreeHead;
      check(a !== undefined, 'AUDITOR_HEAD', 'auditor tree head missing');
      check(
        a.treeSize >= 1 && a.treeSize <= size,
        'AUDITOR_HEAD',
        'auditor tree head is ahead of the log',
      );
    }
  }
  const retained: readonly RetainedEntry[] = previous?.frontier ?? [];
  const handle = new ConsumingHandle(suite, proof, new Map(versions), retained);
  const params: TreeParams = {
    size,
    reasonableMonitoringWindow: config.reasonableMonitoringWindow,
  };
  updateView(handle, size, last);
  const result = run(handle, params);
  const auditor = fullTreeHead.type === 'updated' ? fullTreeHead.auditorTreeHead : undefined;
  const walk = handle.finish({
    size,
    ...(previous === undefined
      ? {}
      : { retained: { size: previous.treeHead.treeSize, values: previous.fullSubtrees } }),
    ...(auditor === undefined ? {} : { secondSize: auditor.treeSize }),
  });
  const rightmost = handle.timestamp(size - 1);
  if (rightmost + config.maxBehind < now || rightmost > now + config.maxAhead) {
    throw new KeyTransError(
      'STALE_HEAD',
      'the rightmost log entry is outside the allowed clock window',
    );
  }
  if (fullTreeHead.type === 'same') {
    return { result, head: previous as HeadState, handle };
  }
  const { treeHead } = fullTreeHead;
  if (
    !suite.verify(
      config.signaturePublicKey,
      treeHeadTbs(config, size, walk.root),
      treeHead.signature,
    )
  ) {
    throw new KeyTransError('BAD_SIGNATURE', 'tree head signature does not verify');
  }
  if (auditor !== undefined) {
    const startPos = config.auditorStartPos ?? 0;
    if (previous?.auditorTreeHead !== undefined && previous.auditorTreeHead.treeSize < startPos) {
      throw new KeyTransError('AUDITOR_HEAD', 'the auditor started after the last head it signed');
    }
    if (
      auditor.timestamp > rightmost ||
      rightmost - auditor.timestamp > (config.maxAuditorLag ?? 0)
    ) {
      throw new KeyTransError('AUDITOR_HEAD', 'the auditor lags too far behind the log');
    }
    const tbs = auditorTreeHeadTbs(
      config,
      auditor.timestamp,
      auditor.treeSize,
      walk.secondRoot as Uint8Array,
    );
    if (!suite.verify(config.auditorPublicKey ?? new Uint8Array(), tbs, auditor.signature)) {
      throw new KeyTransError('BAD_SIGNATURE', 'auditor tree head signature does not verify');
    }
  }
  const timestamps = handle.knownTimestamps();
  const roots = handle.knownRoots();
  const head: HeadState = {
    treeHead,
    ...(auditor === undefined ? {} : { auditorTreeHead: auditor }),
    fullSubtrees: walk.fullSubtrees,
    frontier: frontier(size).map((position) => {
      const kept = retained.find((e) => e.position === position);
      return {
        position,
        timestamp: timestamps.get(position) as number,
        prefixRoot: roots.get(position) ?? (kept?.prefixRoot as Uint8Array),
      };
    }),
  };
  return { result, head, handle };
}
