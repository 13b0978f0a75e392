/**
 * Key transparency (`npm run bench -- keytrans`): a synthetic log of 10^6 label-versions, one
 * entry per minute over a year, built directly (random VRF outputs and commitments, no VRF
 * proving) except for the probe labels, whose versions are real so their proofs verify. Reports
 * search response sizes at version 0 and ≤ 3 (fresh client and returning client), Node
 * verification time, the web client's verification in headless chromium (`keytrans-browser.ts`), update throughput into one-minute entries (VRF proving, commitments, tree
 * insertion, the SQLite write), monitoring bytes per label per day, and server bytes per
 * label-version; sizes at 10^8 are projected from their growth between checkpoints
 * (a + b·log2 N). `--quick` builds 2·10^4 label-versions over a week (a smoke run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KT_128_SHA256_ED25519,
  MemoryKeyTransStore,
  TransparencyLog,
  commit,
  createSuite,
  decodeSearchResponse,
  encodeConfiguration,
  encodeSearchResponse,
  verifySearch,
  type ClientContext,
  type Configuration,
  type LabelVersion,
} from '@parley/keytrans';
import { openSqliteLogStorage } from '@parley/keytrans-log';
import { createNodePrimitives } from '@parley/primitives-node';
import { verifyInChromium } from './keytrans-browser.js';
import { meanOf, measureMonitoring } from './keytrans-monitor.js';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
/** Contact monitoring cadence in minutes: once per RMW (one day). */
const MONITOR_EVERY = 1440;
/** Minutes between the labels whose monitoring is measured (prime: their positions' bits vary). */
const MONITOR_SPACING = 37;
const T0 = 1_767_225_600_000;

interface Row {
  readonly metric: string;
  readonly measured: string;
  readonly projected: string;
  readonly anchor: string;
}

function xorshift(seed: number): (out: Uint8Array) => void {
  let x = seed >>> 0 || 1;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
  };
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

const ms = (v: number): string => `${v.toFixed(2)} ms`;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export async function keytransReport(options: { quick: boolean; json: boolean }): Promise<Row[]> {
  const total = options.quick ? 20_000 : 1_000_000;
  const entries = options.quick ? 7 * 1440 : 365 * 1440;
  const primitives = createNodePrimitives();
  const suite = createSuite(primitives);
  const signingKey = primitives.randomBytes(32);
  const vrfKey = primitives.randomBytes(32);
  const config: Configuration = {
    ciphersuite: KT_128_SHA256_ED25519,
    mode: 1,
    signaturePublicKey: primitives.ed25519.publicKey(signingKey),
    vrfPublicKey: suite.vrfPublicKey(vrfKey),
    leafPublicKey: new Uint8Array(),
    maxAhead: 10 * MINUTE,
    maxBehind: 2 * DAY,
    reasonableMonitoringWindow: DAY,
  };
  const ctx: ClientContext = { suite, config };
  const log = new TransparencyLog(suite, config, { signingKey, vrfKey }, { recentWindow: 7 * DAY });
  const dir = mkdtempSync(join(tmpdir(), 'parley-kt-bench-'));
  const storage = openSqliteLogStorage(dir, { synchronous: 'OFF' });
  const random = xorshift(0x6b74);
  const empty = new Uint8Array(0);
  const opening = new Uint8Array(16);
  const probeV0 = new TextEncoder().encode('probe-v0');
  const probeV3 = new TextEncoder().encode('probe-v3');
  const real = (label: Uint8Array, version: number, position: number): LabelVersion => {
    const value = new TextEncoder().encode(`value-${version}`);
    const o = primitives.randomBytes(16);
    const vrfOutput = log.vrfOutput(label, version);
    return {
      label,
      version,
      position,
      vrfOutput,
      commitment: commit(suite, 1, o, label, version, { value }),
      opening: o,
      value,
    };
  };

  let made = 0;
  const halfA = Math.floor(total / 5);
  const bLabels = Math.floor((total - halfA) / 4);
  const buildStart = performance.now();
  const probeEntry = Math.floor(entries * 0.004);
  const probeAt = (e: number): boolean => e === probeEntry;
  for (let e = 0; e < entries; e++) {
    const want = Math.floor(((e + 1) * total) / entries) - made;
    const added: LabelVersion[] = [];
    for (let i = 0; i < want; i++) {
      const k = made + i;
      let label: Uint8Array;
      let version: number;
      if (k < halfA) {
        label = new Uint8Array(8);
        new DataView(label.buffer).setUint32(0, k);
        version = 0;
      } else {
        const j = k - halfA;
        label = new Uint8Array(8);
        new DataView(label.buffer).setUint32(0, 0x8000_0000 + (j % bLabels));
        version = Math.floor(j / bLabels);
      }
      const vrfOutput = new Uint8Array(32);
      const commitment = new Uint8Array(32);
      random(vrfOutput);
      random(commitment);
      added.push({ label, version, position: e, vrfOutput, commitment, opening, value: empty });
    }
    if (probeAt(e)) {
      added.push(real(probeV0, 0, e));
      for (let v = 0; v <= 3; v++) added.push(real(probeV3, v, e));
    }
    log.restore(T0 + e * MINUTE, added);
    storage.append({ position: e, timestamp: T0 + e * MINUTE, added });
    made += want;
  }
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const now = T0 + (entries - 1) * MINUTE;

  // Search sizes and verification at the full size.
  const fresh0 = encodeSearchResponse(1, log.search({ label: probeV0 }));
  const fresh3 = encodeSearchResponse(1, log.search({ label: probeV3 }));
  const dayAgo = log.size - 1440;
  const returning0 = encodeSearchResponse(1, log.search({ label: probeV0, last: dayAgo }));
  const times: number[] = [];
  const verifyRuns = options.quick ? 5 : 41;
  const verifyCpu = process.cpuUsage();
  for (let i = 0; i < verifyRuns; i++) {
    const t = performance.now();
    verifySearch(
      ctx,
      new MemoryKeyTransStore(),
      probeV0,
      undefined,
      decodeSearchResponse(1, false, fresh0),
      now,
    );
    times.push(performance.now() - t);
  }
  const verifyCpuMs = cpuMs(process.cpuUsage(verifyCpu)) / verifyRuns;
  // The same response verified in headless chromium by the web client's code (noble).
  const inBrowser = await verifyInChromium(
    { config: encodeConfiguration(config), response: fresh0, label: probeV0, now },
    options.quick ? 50 : 201,
  );

  // Storage per label-version.
  const treeBytes = log.treeBytes;
  const diskBytes = storage.byteLength();
  storage.close();
  rmSync(dir, { recursive: true, force: true });

  // Update throughput: one-minute entries of K label-versions each, through enqueue + sequence
  // (VRF proving, commitments, insertion, log tree) and the SQLite write.
  const dir2 = mkdtempSync(join(tmpdir(), 'parley-kt-bench-'));
  const storage2 = openSqliteLogStorage(dir2);
  const K = options.quick ? 200 : 2000;
  let t = now;
  const rates: number[] = [];
  const updateCpu = process.cpuUsage();
  for (let round = 0; round < (options.quick ? 1 : 3); round++) {
    const start = performance.now();
    for (let i = 0; i < K; i++) {
      const label = new TextEncoder().encode(`new-${round}-${i}`);
      log.enqueue(label, undefined, [new TextEncoder().encode('account-key')]);
    }
    t += MINUTE;
    const position = log.size;
    const added = log.sequence(t);
    storage2.append({ position, timestamp: t, added });
    rates.push(K / ((performance.now() - start) / 1000));
  }
  const updateCpuRate = (K * rates.length) / (cpuMs(process.cpuUsage(updateCpu)) / 1000);
  // Each update is answered with an UpdateResponse (VRF proofs for the new ladder, prefix and
  // log proofs): its CPU time per single-value update, measured on a sample of the last round.
  const sample = options.quick ? 20 : 100;
  const responseCpu = process.cpuUsage();
  for (let i = 0; i < sample; i++) {
    const label = new TextEncoder().encode(`new-${rates.length - 1}-${i}`);
    log.update(
      { label, values: [new TextEncoder().encode('account-key')], last: log.size - 1 },
      true,
    );
  }
  const responseCpuMs = cpuMs(process.cpuUsage(responseCpu)) / sample;
  const answeredRate = 1000 / (1000 / updateCpuRate + responseCpuMs);
  storage2.close();
  rmSync(dir2, { recursive: true, force: true });

  // Monitoring bytes per label per day (`keytrans-monitor.ts`): the mean over labels created
  // at different positions, each monitored once a day after a contact looked it up.
  const monitoring = measureMonitoring(ctx, log, t, {
    labels: options.quick ? 12 : 32,
    spacing: MONITOR_SPACING,
    window: MONITOR_EVERY,
  });
  const monitorMean = (field: Parameters<typeof meanOf>[1]): number =>
    meanOf(monitoring.alone, field);
  const monitorTotals = monitoring.alone.map((p) => p.total);

  // At 10^8 label-versions (same entries per year), every prefix-tree lookup's path is
  // log2(100) ≈ 6.6 levels deeper: one more 32-byte copath element per level per lookup. The
  // log-tree part depends on the entry count, which does not change.
  const project = (bytes: Uint8Array): string => {
    const lookups = decodeSearchResponse(1, false, bytes).search.prefixProofs.reduce(
      (n, p) => n + p.results.length,
      0,
    );
    const extra = Math.round(lookups * Math.log2(1e8 / made) * 32);
    return `${(bytes.length + extra).toLocaleString('en')} B`;
  };
  const perLabelVersion = (treeBytes + diskBytes) / made;
  const rows: Row[] = [
    {
      metric: 'log built',
      measured: `${made.toLocaleString('en')} label-versions, ${log.size.toLocaleString('en')} entries in ${buildSeconds.toFixed(0)} s`,
      projected: '',
      anchor: '10^6 over a year',
    },
    {
      metric: 'search response, version 0 (fresh client)',
      measured: `${fresh0.length.toLocaleString('en')} B`,
      projected: project(fresh0),
      anchor: '≤ 6.5 KB',
    },
    {
      metric: 'search response, version 3 (fresh client)',
      measured: `${fresh3.length.toLocaleString('en')} B`,
      projected: project(fresh3),
      anchor: '≤ 16 KB (Signal: 106,806 B)',
    },
    {
      metric: 'search response, version 0 (head one day old)',
      measured: `${returning0.length.toLocaleString('en')} B`,
      projected: '',
      anchor: '',
    },
    {
      metric: 'verify search v0 in Node (median)',
      measured: `${median(times).toFixed(2)} ms wall, ${verifyCpuMs.toFixed(2)} ms CPU`,
      projected: '',
      anchor: '≤ 30 ms',
    },
    {
      metric: 'verify search v0 in Chromium (p50)',
      measured: `p50 ${ms(inBrowser.chromium.p50)}, p95 ${ms(inBrowser.chromium.p95)}, min ${ms(inBrowser.chromium.min)} (decode ${ms(inBrowser.chromium.decode)}, verify ${ms(inBrowser.chromium.verify)}); first (cold) ${ms(inBrowser.chromium.first)}; ${inBrowser.browser}`,
      projected: '',
      anchor: '≤ 3 ms',
    },
    {
      metric: 'the same code (noble) in Node',
      measured: `p50 ${ms(inBrowser.node.p50)}, p95 ${ms(inBrowser.node.p95)}, min ${ms(inBrowser.node.min)} (decode ${ms(inBrowser.node.decode)}, verify ${ms(inBrowser.node.verify)})`,
      projected: '',
      anchor: '',
    },
    {
      metric: 'update throughput into one-minute entries',
      measured: `${Math.round(median(rates)).toLocaleString('en')}/s wall; per CPU-second ${Math.round(updateCpuRate).toLocaleString('en')} sequenced, ${Math.round(answeredRate).toLocaleString('en')} sequenced and answered`,
      projected: '',
      anchor: '≥ 300/s',
    },
    {
      metric: 'contact monitoring per label per day',
      measured: `mean ${Math.round(monitorMean('total')).toLocaleString('en')} B (${Math.min(...monitorTotals).toLocaleString('en')}–${Math.max(...monitorTotals).toLocaleString('en')}) over ${monitoring.alone.length} labels, one request a day after the lookup${monitoring.unfinished > 0 ? `; ${monitoring.unfinished} not finished` : ''}`,
      projected: `${Math.round(monitorMean('total') + monitorMean('prefixProofs') * Math.log2(1e8 / made) * 32).toLocaleString('en')} B`,
      anchor: '≤ 4 KB',
    },
    {
      metric: '  its parts (means)',
      measured: `head ${Math.round(monitorMean('head'))} B; ${monitorMean('timestamps').toFixed(1)} timestamps ${Math.round(monitorMean('timestampBytes'))} B; ${monitorMean('prefixProofs').toFixed(1)} prefix proofs of ${(monitorMean('prefixElements') / Math.max(1, monitorMean('prefixProofs'))).toFixed(1)} hashes ${Math.round(monitorMean('prefixBytes')).toLocaleString('en')} B; ${monitorMean('prefixRoots').toFixed(1)} prefix roots ${Math.round(monitorMean('prefixRootBytes'))} B; log-tree proof ${monitorMean('inclusion').toFixed(1)} hashes ${Math.round(monitorMean('inclusionBytes')).toLocaleString('en')} B`,
      projected: '',
      anchor: '',
    },
    {
      metric: '  a further label of a monitoring run',
      measured: `mean ${Math.round(meanOf(monitoring.inRun, 'total')).toLocaleString('en')} B (head just refreshed: ${Math.round(meanOf(monitoring.inRun, 'head'))} B head, ${meanOf(monitoring.inRun, 'inclusion').toFixed(1)} log-tree hashes)`,
      projected: '',
      anchor: '',
    },
    {
      metric: 'server storage per label-version',
      measured: `${Math.round(perLabelVersion)} B (trees ${Math.round(treeBytes / made)} in memory, SQLite ${Math.round(diskBytes / made)})`,
      projected: '',
      anchor: '≤ 1.5 KB',
    },
  ];
  if (options.json) console.log(JSON.stringify(rows, null, 2));
  else {
    console.log(
      `key transparency (synthetic log; machine shared and loaded, Node ${process.version})`,
    );
    for (const r of rows)
      console.log(
        `${r.metric.padEnd(46)} ${r.measured.padEnd(58)} ${r.projected ? `10^8: ${r.projected}`.padEnd(16) : ''.padEnd(16)} ${r.anchor}`,
      );
  }
  return rows;
}
