/**
 * Contact monitoring bytes for the key transparency bench (`keytrans.ts`): contacts that looked
 * a label up right after it was created monitor it once, a day later (-05 §8: "roughly as
 * frequently as the RMW"; with one-minute entries and a one-day RMW, one request reaches the
 * distinguished entry). How many entries that request walks depends on the bits of the label's
 * position (one monitoring ladder per right-hand ancestor up to the first distinguished entry,
 * -05 §8.2), so one label says little: the mean is over labels created a prime number of
 * minutes apart. Each is monitored twice from the same state: alone (the client's head is the
 * one its search returned, a day old) and as a further label of a monitoring run (its head was
 * just refreshed by the run's first request, as the SDK's run does).
 */
import {
  MemoryKeyTransStore,
  contactMonitorRequest,
  encodeMonitorResponse,
  verifyContactMonitor,
  verifySearch,
  type ClientContext,
  type MonitorResponse,
  type TransparencyLog,
} from '@parley/keytrans';

const MINUTE = 60_000;
const HASH = 32;

/** Where the bytes of one ContactMonitorResponse go (-05 §10, §12.2 encodings). */
export interface MonitorParts {
  readonly total: number;
  /** FullTreeHead: 1 byte when `same`, else the signed TreeHead. */
  readonly head: number;
  readonly timestamps: number;
  readonly timestampBytes: number;
  /** Number of PrefixProofs (one per monitoring ladder) and their hashes and bytes. */
  readonly prefixProofs: number;
  readonly prefixElements: number;
  readonly prefixBytes: number;
  readonly prefixRoots: number;
  readonly prefixRootBytes: number;
  /** Log-tree InclusionProof hashes and bytes. */
  readonly inclusion: number;
  readonly inclusionBytes: number;
}

/** Accounts for every byte of an encoded ContactMonitorResponse, by part. */
export function monitorParts(response: MonitorResponse, encodedLength: number): MonitorParts {
  const p = response.monitor;
  const timestampBytes = 1 + 8 * p.timestamps.length;
  let prefixBytes = 1;
  let prefixElements = 0;
  for (const proof of p.prefixProofs) {
    prefixBytes += 1 + 2 + HASH * proof.elements.length;
    for (const r of proof.results) prefixBytes += r.type === 'nonInclusionLeaf' ? 2 + 2 * HASH : 2;
    prefixElements += proof.elements.length;
  }
  const prefixRootBytes = 1 + HASH * p.prefixRoots.length;
  const inclusionBytes = 2 + HASH * p.inclusion.length;
  return {
    total: encodedLength,
    head: encodedLength - timestampBytes - prefixBytes - prefixRootBytes - inclusionBytes,
    timestamps: p.timestamps.length,
    timestampBytes,
    prefixProofs: p.prefixProofs.length,
    prefixElements,
    prefixBytes,
    prefixRoots: p.prefixRoots.length,
    prefixRootBytes,
    inclusion: p.inclusion.length,
    inclusionBytes,
  };
}

export interface MonitoringRun {
  /** A label monitored alone, its head the search's (a day old). */
  readonly alone: readonly MonitorParts[];
  /** The same labels monitored as a further label of a run (head just refreshed). */
  readonly inRun: readonly MonitorParts[];
  /** Requests that did not end the label's monitoring (must stay 0: one request a day). */
  readonly unfinished: number;
}

/**
 * Creates `labels` labels `spacing` minutes apart on `log` (one-minute heartbeat entries in
 * between), has a contact search each right after its entry, and monitors each `window`
 * minutes later. Returns the clock after the last entry.
 */
export function measureMonitoring(
  ctx: ClientContext,
  log: TransparencyLog,
  start: number,
  options: { readonly labels: number; readonly spacing: number; readonly window: number },
): MonitoringRun & { readonly now: number } {
  const { labels, spacing, window } = options;
  const refresher = new TextEncoder().encode('probe-refresher');
  log.enqueue(refresher, undefined, [new TextEncoder().encode('r')]);
  let t = start + MINUTE;
  log.sequence(t);
  interface Probe {
    readonly label: Uint8Array;
    readonly alone: MemoryKeyTransStore;
    readonly inRun: MemoryKeyTransStore;
    readonly due: number;
  }
  const probes: Probe[] = [];
  const alone: MonitorParts[] = [];
  const inRun: MonitorParts[] = [];
  let unfinished = 0;
  const monitor = (p: Probe, store: MemoryKeyTransStore, into: MonitorParts[]): void => {
    const request = contactMonitorRequest(store, p.label);
    if (request === undefined) throw new Error('bench: the probe needs no monitoring');
    const response = log.contactMonitor(request);
    into.push(monitorParts(response, encodeMonitorResponse(ctx.config.mode, response).length));
    store.commit(verifyContactMonitor(ctx, store, p.label, response, t).changes);
    if (store.contact(p.label) !== undefined) unfinished++;
  };
  for (let minute = 0; minute < labels * spacing + window; minute++) {
    t += MINUTE;
    const created = minute % spacing === 0 && minute < labels * spacing;
    const label = new TextEncoder().encode(`probe-contact-${minute}`);
    if (created) log.enqueue(label, undefined, [new TextEncoder().encode('k')]);
    log.sequence(t);
    if (created) {
      const { changes } = verifySearch(
        ctx,
        new MemoryKeyTransStore(),
        label,
        undefined,
        log.search({ label }),
        t,
      );
      const a = new MemoryKeyTransStore();
      const b = new MemoryKeyTransStore();
      a.commit(changes);
      b.commit(changes);
      probes.push({ label, alone: a, inRun: b, due: minute + window });
    }
    for (const p of probes.filter((q) => q.due === minute)) {
      monitor(p, p.alone, alone);
      // The run's first request (here a search) leaves the head at the log's size.
      const last = p.inRun.head()?.treeHead.treeSize;
      const refreshed = log.search({ label: refresher, ...(last === undefined ? {} : { last }) });
      p.inRun.commit(verifySearch(ctx, p.inRun, refresher, undefined, refreshed, t).changes);
      monitor(p, p.inRun, inRun);
    }
  }
  return { alone, inRun, unfinished, now: t };
}

/** Mean of one field over a list of accounts. */
export function meanOf(list: readonly MonitorParts[], field: keyof MonitorParts): number {
  return list.reduce((n, p) => n + p[field], 0) / Math.max(1, list.length);
}
