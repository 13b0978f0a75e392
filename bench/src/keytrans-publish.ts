/**
 * Key transparency update throughput over the deployment path (`npm run bench --
 * keytrans-publish`, also run by `keytrans`): the relay's bridge (`createLogBridge`, with its
 * fsynced journal) publishing device-list changes over HTTP to a log service (SQLite,
 * `synchronous=FULL`) in the same process, so the CPU time counts both sides and the HTTP
 * between them. Each round publishes a burst of changes and waits until every one is in the
 * log; entries are sequenced every `PERIOD_MS` (the deployment uses one minute: the cost per
 * label-version does not depend on it, the wall time of a round does). Reports label-versions
 * per CPU-second and per wall-second, medians over the rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KT_128_SHA256_ED25519, createSuite, type Configuration } from '@parley/keytrans';
import { createLogBridge, createLogService, openSqliteLogStorage } from '@parley/keytrans-log';
import { createNodePrimitives } from '@parley/primitives-node';

/** Entry period of the benchmark's log (short, so a round does not wait a minute). */
const PERIOD_MS = 2_000;

interface Row {
  readonly metric: string;
  readonly measured: string;
  readonly projected: string;
  readonly anchor: string;
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

export async function keytransPublishReport(options: {
  quick: boolean;
  json: boolean;
}): Promise<Row[]> {
  const perRound = options.quick ? 300 : 3000;
  const rounds = options.quick ? 2 : 5;
  const primitives = createNodePrimitives();
  const suite = createSuite(primitives);
  const keys = { signingKey: primitives.randomBytes(32), vrfKey: primitives.randomBytes(32) };
  const config: Configuration = {
    ciphersuite: KT_128_SHA256_ED25519,
    mode: 1,
    signaturePublicKey: primitives.ed25519.publicKey(keys.signingKey),
    vrfPublicKey: suite.vrfPublicKey(keys.vrfKey),
    leafPublicKey: new Uint8Array(),
    maxAhead: 600_000,
    maxBehind: 86_400_000,
    reasonableMonitoringWindow: 86_400_000,
  };
  const dir = mkdtempSync(join(tmpdir(), 'parley-kt-publish-'));
  const service = createLogService({
    storage: openSqliteLogStorage(dir),
    primitives,
    keys,
    config,
    period: PERIOD_MS,
    recentWindow: 7 * 86_400_000,
  });
  const baseUrl = await service.app.listen({ host: '127.0.0.1', port: 0 });
  service.start();
  const bridge = createLogBridge({
    baseUrl,
    primitives,
    journal: join(dir, 'publish-journal.jsonl'),
  });
  const perCpu: number[] = [];
  const perWall: number[] = [];
  const blob = primitives.randomBytes(600);
  try {
    for (let round = 0; round < rounds; round++) {
      const cpu = process.cpuUsage();
      const start = performance.now();
      const acks: Promise<void>[] = [];
      for (let i = 0; i < perRound; i++) {
        // What the relay's reply waits for: the journal's fsync covering the change.
        acks.push(
          bridge.publish({
            kind: 'device-list',
            accountId: `account-${round}-${i}`,
            version: 1,
            blob,
          }),
        );
      }
      await Promise.all(acks);
      await bridge.idle();
      perCpu.push(perRound / cpuSeconds(process.cpuUsage(cpu)));
      perWall.push(perRound / ((performance.now() - start) / 1000));
    }
  } finally {
    bridge.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const rows: Row[] = [
    {
      metric: 'update throughput, relay bridge → log over HTTP',
      measured: `${Math.round(median(perCpu)).toLocaleString('en')} label-versions per CPU-second, ${Math.round(median(perWall)).toLocaleString('en')}/s wall (median of ${rounds} bursts of ${perRound}, ${PERIOD_MS / 1000} s entries)`,
      projected: '',
      anchor: '≥ 300/s',
    },
  ];
  if (options.json) console.log(JSON.stringify(rows, null, 2));
  else for (const r of rows) console.log(`${r.metric.padEnd(46)} ${r.measured}  ${r.anchor}`);
  return rows;
}
