// Relay load benchmark, with peers in the same run: `npm run bench:relay -- [--devices N[,N…]]
// [--seconds S] [--rates auto|R,R…] [--workers K] [--peers mosquitto,nats|none] [--storm]
// [--storm-devices M] [--storm-queue Q] [--sync FULL|NORMAL] [--group-commit-max B]
// [--group-commit-window-ms W] [--storage sqlite|pg] [--redis] [--nodes 1|2] [--dist] [--json]
// [--subject relay|skeleton-ws|skeleton-net]`.
//
// For each N it starts a Parley relay process on 127.0.0.1 (SQLite in a temporary directory,
// `synchronous` FULL, rate limits off), registers N devices, connects them from K generator
// processes, and runs open-loop steps of S seconds at rising rates of 200-byte messages between
// random pairs, until a step fails (p99 ≥ 50 ms, a loss, a duplicate, a failed send, or the
// system falling behind). Then the same devices, messages and rates against each peer that is
// running: Mosquitto (MQTT QoS 1, 127.0.0.1:1883) and NATS (core, 127.0.0.1:4222); a peer that
// is not running is named and skipped. Every server's CPU is read from /proc before and after
// each step; memory per idle connection is its RSS growth over the N connections. `--storm`
// adds the reconnect storm: M devices each with Q queued messages connect at once (Parley and
// Mosquitto with persistent sessions; NATS core keeps nothing for offline subscribers).
// `--storage pg` runs the relay on a throwaway PostgreSQL database (next to
// PARLEY_TEST_DATABASE_URL, default the local server; dropped afterwards), `--redis` adds the
// Redis fan-out (REDIS_URL, default the local server), and `--nodes 2` starts two relay processes
// on them: generator worker w connects its devices to node w mod 2, so about half the messages
// cross nodes; CPU is reported per node, and the database's transactions and rows written and
// Redis's commands per message. Loopback only; bounded in devices, rates, time and outstanding
// sends. `--subject skeleton-ws|skeleton-net` measures, in Parley's place and with the same
// clients, a relay skeleton that stores nothing and checks nothing (`relay-skeleton.ts`, on `ws`
// or on a plain upgrade): Node's floor for the socket side.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { DeviceInfo, SystemName } from './relay-adapters.js';
import { nowMicros, type Command, type Reply } from './relay-load-protocol.js';
import { registerDevices } from './relay-register.js';
import {
  findPid,
  listening,
  procIo,
  procStat,
  startRelays,
  startSkeleton,
  sumOver,
  type TierCounters,
} from './relay-servers.js';

/** The relay holds at most 18,000 WebSockets (`MAX_CONNECTIONS`; `ulimit -n` is 20,000 here). */
const MAX_DEVICES = 18_000;
const MAX_SECONDS = 60;
const MAX_RATE = 200_000;
const MAX_WORKERS = 8;
/** Relay processes of a scaled-out run (this machine has two cores). */
const MAX_NODES = 2;
const MAX_STORM_QUEUE = 1_000;
const MESSAGE_BYTES = 200;
/** The latency bound a step must keep to pass. */
const P99_LIMIT_MS = 50;
/** A step passes only if the generator delivered at least this share of its target rate. */
const MIN_ACHIEVED = 0.9;
/** First rate of the automatic ladder and its factor. */
const AUTO_START = 1_000;
const AUTO_FACTOR = 1.5;
/** How long the parent waits for a step's messages to arrive after sending stops. */
const DRAIN_MS = 5_000;
const CONNECT_TIMEOUT_MS = 300_000;
/** Devices per generator worker that fill the storm's queues. */
const STORM_SENDERS_PER_WORKER = 50;
const PEERS: Record<Exclude<SystemName, 'parley'>, { port: number; process: string }> = {
  mosquitto: { port: 1883, process: 'mosquitto' },
  nats: { port: 4222, process: 'nats-server' },
};

interface Args {
  readonly devices: readonly number[];
  readonly seconds: number;
  readonly rates: readonly number[] | 'auto';
  readonly workers: number;
  readonly peers: readonly Exclude<SystemName, 'parley'>[];
  readonly storm: boolean;
  readonly stormDevices: number;
  readonly stormQueue: number;
  readonly sync: 'FULL' | 'NORMAL';
  readonly groupCommitMax: number | undefined;
  readonly groupCommitWindowMs: number | undefined;
  readonly storage: 'sqlite' | 'pg';
  readonly redis: boolean;
  readonly nodes: number;
  readonly dist: boolean;
  readonly json: boolean;
  /** What stands in Parley's place: the relay, or a skeleton of its socket side. */
  readonly subject: 'relay' | 'skeleton-ws' | 'skeleton-net';
}

function parseArgs(argv: readonly string[]): Args {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const text = value(name);
    const v = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(v) || v < min || v > max)
      throw new Error(`${name} must be an integer in ${String(min)}..${String(max)}`);
    return v;
  };
  const list = (text: string, max: number): number[] =>
    text.split(',').map((t) => {
      const v = Number(t.replace(/_/g, ''));
      if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`bad number ${t}`);
      return v;
    });
  const peersText = value('--peers') ?? 'mosquitto,nats';
  const peers =
    peersText === 'none'
      ? []
      : peersText.split(',').map((p) => {
          if (p !== 'mosquitto' && p !== 'nats') throw new Error(`unknown peer ${p}`);
          return p;
        });
  const ratesText = value('--rates') ?? 'auto';
  const sync = value('--sync') ?? 'FULL';
  if (sync !== 'FULL' && sync !== 'NORMAL') throw new Error('--sync must be FULL or NORMAL');
  const storage = value('--storage') ?? 'sqlite';
  if (storage !== 'sqlite' && storage !== 'pg') throw new Error('--storage must be sqlite or pg');
  const subject = value('--subject') ?? 'relay';
  if (subject !== 'relay' && subject !== 'skeleton-ws' && subject !== 'skeleton-net')
    throw new Error('--subject must be relay, skeleton-ws or skeleton-net');
  const gcMax = value('--group-commit-max');
  const gcWindow = value('--group-commit-window-ms');
  return {
    devices: list(value('--devices') ?? '1000', MAX_DEVICES),
    seconds: int('--seconds', 5, 1, MAX_SECONDS),
    rates: ratesText === 'auto' ? 'auto' : list(ratesText, MAX_RATE),
    workers: int('--workers', 2, 1, MAX_WORKERS),
    peers,
    storm: argv.includes('--storm'),
    stormDevices: int('--storm-devices', 10_000, 1, MAX_DEVICES),
    stormQueue: int('--storm-queue', 100, 1, MAX_STORM_QUEUE),
    sync,
    groupCommitMax: gcMax === undefined ? undefined : Number(gcMax),
    groupCommitWindowMs: gcWindow === undefined ? undefined : Number(gcWindow),
    storage,
    redis: argv.includes('--redis'),
    nodes: int('--nodes', 1, 1, MAX_NODES),
    dist: argv.includes('--dist'),
    json: argv.includes('--json'),
    subject,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/** Sends a command to every worker and collects one reply of `kind` from each. */
function ask<K extends Reply['kind']>(
  workers: readonly ChildProcess[],
  command: Command | ((w: number) => Command),
  kind: K,
  timeoutMs = 120_000,
): Promise<Extract<Reply, { kind: K }>[]> {
  return Promise.all(
    workers.map(
      (w, i) =>
        new Promise<Extract<Reply, { kind: K }>>((resolve, reject) => {
          const c = typeof command === 'function' ? command(i) : command;
          const timer = setTimeout(() => {
            reject(new Error(`worker did not answer ${c.kind}`));
          }, timeoutMs);
          const onMessage = (r: Reply): void => {
            if (r.kind !== kind) return;
            clearTimeout(timer);
            w.off('message', onMessage);
            resolve(r as Extract<Reply, { kind: K }>);
          };
          w.on('message', onMessage);
          w.send(c);
        }),
    ),
  );
}

const share = (n: number, w: number, k: number): [number, number] => [
  Math.floor((n * w) / k),
  Math.floor((n * (w + 1)) / k),
];

export interface StepResult {
  readonly rate: number;
  readonly passed: boolean;
  readonly sent: number;
  readonly stored: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly failures: number;
  readonly skipped: number;
  readonly messagesPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCpuPercent: number;
  readonly serverCpuMicrosPerMessage: number;
  /** The part of it spent in the kernel (system time: socket and file system calls). */
  readonly serverSystemCpuMicrosPerMessage: number;
  readonly generatorCpuPercent: number;
  readonly generatorCpuMicrosPerMessage: number;
  /** The server's read and write system calls per delivered message (/proc/PID/io). */
  readonly serverSyscallsPerMessage: number;
  /** Bytes the server wrote (sockets and files) per delivered message. */
  readonly serverWrittenBytesPerMessage: number;
  /** Bytes the server caused to be written to disk per delivered message. */
  readonly serverDiskBytesPerMessage: number;
  /** Relay CPU per delivered message of each node (one entry for one node). */
  readonly nodeCpuMicrosPerMessage: readonly number[];
  /** PostgreSQL transactions and rows written, Redis commands, per delivered message. */
  readonly pgTransactionsPerMessage: number;
  readonly pgRowsWrittenPerMessage: number;
  readonly redisCommandsPerMessage: number;
}

export interface StormResult {
  readonly devices: number;
  readonly queuedPerDevice: number;
  readonly queued: number;
  readonly drained: number;
  readonly duplicates: number;
  readonly drainSeconds: number;
  readonly serverCpuMicrosPerMessage: number;
}

export interface SystemResult {
  readonly name: SystemName;
  readonly bytesPerIdleConnection: number;
  readonly steps: StepResult[];
  /** The highest passing step (or the first, if none passed). */
  readonly best: StepResult | undefined;
  readonly storm?: StormResult | string;
}

/** The measured server: the relay node(s), or a peer's one process. */
interface Server {
  readonly pids: readonly number[];
  readonly ports: readonly number[];
  tiers(): Promise<TierCounters>;
  stop(): Promise<void>;
}

const noTiers = (): Promise<TierCounters> =>
  Promise.resolve({ pgTransactions: 0, pgRowsWritten: 0, redisCommands: 0 });

/** Runs one system: connect N devices, measure idle memory, climb the rates, maybe storm. */
async function runSystem(
  name: SystemName,
  args: Args,
  n: number,
  log: (line: string) => void,
): Promise<SystemResult | string> {
  let server: Server;
  if (name === 'parley')
    server =
      args.subject === 'relay'
        ? await startRelays(args)
        : await startSkeleton(args.subject === 'skeleton-ws' ? 'ws' : 'net');
  else {
    const peer = PEERS[name];
    const pid = findPid(peer.process);
    if (pid === undefined || !(await listening(peer.port)))
      return `${name} is not running on 127.0.0.1:${String(peer.port)}: its rows are skipped`;
    server = { pids: [pid], ports: [peer.port], tiers: noTiers, stop: () => Promise.resolve() };
  }
  const label = name === 'parley' && args.subject !== 'relay' ? args.subject : name;
  const runId = randomBytes(4).toString('hex');
  const workers: ChildProcess[] = [];
  const workerCount = Math.min(args.workers, n);
  try {
    const stormExtra = args.storm ? args.stormDevices : 0;
    const devices: DeviceInfo[] =
      name !== 'parley'
        ? Array.from({ length: n + stormExtra }, (_, index) => ({ index }))
        : args.subject === 'relay'
          ? await registerDevices(server.ports[0] ?? 0, n + stormExtra)
          : Array.from({ length: n + stormExtra }, (_, index) => ({
              index,
              accountId: randomUUID(),
              registrationId: 1,
              secret: randomBytes(32).toString('base64'),
            }));
    const active = devices.slice(0, n);
    const offline = devices.slice(n);
    const self = fileURLToPath(new URL('./relay-load-worker.ts', import.meta.url));
    for (let w = 0; w < workerCount; w++)
      workers.push(
        fork(self, [], {
          execArgv: process.execArgv,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
    const rss = (): number => sumOver(server.pids, procStat).rssBytes;
    const before = rss();
    await ask(
      workers,
      (w) => {
        const [from, to] = share(n, w, workerCount);
        return {
          kind: 'setup',
          system: name,
          port: server.ports[w % server.ports.length] ?? 0,
          runId,
          worker: w,
          devices: active,
          from,
          to,
          messageBytes: MESSAGE_BYTES,
          persistent: false,
        };
      },
      'connected',
      CONNECT_TIMEOUT_MS,
    );
    await new Promise((r) => setTimeout(r, 500));
    const bytesPerIdleConnection = Math.round((rss() - before) / n);
    log(
      `  ${label}: ${String(n)} devices connected, ${String(bytesPerIdleConnection)} B per idle connection`,
    );

    const steps: StepResult[] = [];
    const ladder = args.rates === 'auto' ? undefined : args.rates;
    for (let i = 0; ; i++) {
      const rate = ladder === undefined ? Math.round(AUTO_START * AUTO_FACTOR ** i) : ladder[i];
      if (rate === undefined || rate > MAX_RATE) break;
      const step = await runStep(workers, server, i, rate, args.seconds);
      steps.push(step);
      log(
        `  ${label} ${String(rate)}/s: ${String(step.messagesPerSecond)}/s p50 ${String(step.p50Ms)} p99 ${String(step.p99Ms)} ms, lost ${String(step.lost)}, server ${String(step.serverCpuMicrosPerMessage)} µs/msg (${String(step.serverSystemCpuMicrosPerMessage)} system)${server.pids.length > 1 ? ` (nodes ${step.nodeCpuMicrosPerMessage.join(' + ')})` : ''}, ${String(step.serverSyscallsPerMessage)} syscalls/msg, ${String(step.serverWrittenBytesPerMessage)} B written/msg${step.passed ? '' : ' (fails)'}`,
      );
      if (!step.passed && ladder === undefined) break;
    }
    const passed = steps.filter((s) => s.passed);
    const best = passed.at(-1) ?? steps[0];
    let storm: StormResult | string | undefined;
    if (args.storm) storm = await runStorm(name, workers, server.pids, offline, args, log);
    return {
      name,
      bytesPerIdleConnection,
      steps,
      best,
      ...(storm === undefined ? {} : { storm }),
    };
  } finally {
    for (const w of workers) if (w.connected) w.send({ kind: 'exit' } satisfies Command);
    await Promise.all(
      workers.map((w) =>
        w.exitCode === null && w.signalCode === null
          ? new Promise((r) => w.once('exit', r))
          : Promise.resolve(),
      ),
    );
    await server.stop();
  }
}

async function runStep(
  workers: readonly ChildProcess[],
  server: Server,
  index: number,
  rate: number,
  seconds: number,
): Promise<StepResult> {
  const nodeCpu = (): number[] => server.pids.map((pid) => procStat(pid).cpuSeconds);
  const systemCpu = (): number => sumOver(server.pids, procStat).systemCpuSeconds;
  const nodesBefore = nodeCpu();
  const systemBefore = systemCpu();
  const ioBefore = sumOver(server.pids, procIo);
  const tiersBefore = await server.tiers();
  const genBefore = workers.reduce((s, w) => s + procStat(w.pid ?? 0).cpuSeconds, 0);
  const startMicros = nowMicros() + 50_000;
  const sentReplies = await ask(
    workers,
    (w) => {
      const [from, to] = share(rate, w, workers.length);
      return {
        kind: 'step',
        step: index,
        rate: to - from,
        startMicros,
        durationMs: seconds * 1000,
      };
    },
    'sent',
    (seconds + 60) * 1000,
  );
  const sum = (k: 'sent' | 'stored' | 'failed' | 'skipped'): number =>
    sentReplies.reduce((s, r) => s + r[k], 0);
  const stored = sum('stored');
  const drainUntil = performance.now() + DRAIN_MS;
  for (;;) {
    const counts = await ask(workers, { kind: 'count' }, 'count');
    if (counts.reduce((s, r) => s + r.delivered, 0) >= stored || performance.now() > drainUntil)
      break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const elapsedAll = (nowMicros() - startMicros) / 1e6;
  const nodesCpu = nodeCpu().map((c, i) => c - (nodesBefore[i] ?? 0));
  const serverCpu = nodesCpu.reduce((a, b) => a + b, 0);
  const serverSystemCpu = systemCpu() - systemBefore;
  const ioAfter = sumOver(server.pids, procIo);
  const perMessage = (k: 'syscalls' | 'writtenBytes' | 'diskBytes', digits: number): number =>
    Number(((ioAfter[k] - ioBefore[k]) / Math.max(1, delivered)).toFixed(digits));
  const genCpu = workers.reduce((s, w) => s + procStat(w.pid ?? 0).cpuSeconds, 0) - genBefore;
  const reports = await ask(workers, { kind: 'report' }, 'report');
  const tiersAfter = await server.tiers();
  const tier = (k: keyof TierCounters): number =>
    Number(((tiersAfter[k] - tiersBefore[k]) / Math.max(1, delivered)).toFixed(2));
  const delivered = reports.reduce((s, r) => s + r.delivered, 0);
  const duplicates = reports.reduce((s, r) => s + r.duplicates, 0);
  const lastDelivery = Math.max(...reports.map((r) => r.lastDeliveryMicros));
  const latencies = reports.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const elapsed = Math.max(seconds, (lastDelivery - startMicros) / 1e6);
  const messagesPerSecond = Math.round(delivered / elapsed);
  const p99Ms = Number(percentile(latencies, 0.99).toFixed(2));
  // Answers that came after the worker stopped waiting count as failures, and their messages
  // as delivered: a loss is only a stored message that never arrived.
  const lost = Math.max(0, stored - delivered);
  const failures = sum('failed');
  const skipped = sum('skipped');
  return {
    rate,
    passed:
      lost === 0 &&
      duplicates === 0 &&
      failures === 0 &&
      skipped === 0 &&
      p99Ms < P99_LIMIT_MS &&
      messagesPerSecond >= MIN_ACHIEVED * rate,
    sent: sum('sent'),
    stored,
    delivered,
    lost,
    duplicates,
    failures,
    skipped,
    messagesPerSecond,
    p50Ms: Number(percentile(latencies, 0.5).toFixed(2)),
    p99Ms,
    serverCpuPercent: Math.round((serverCpu / elapsedAll) * 100),
    serverCpuMicrosPerMessage: Math.round((serverCpu * 1e6) / Math.max(1, delivered)),
    serverSystemCpuMicrosPerMessage: Math.round((serverSystemCpu * 1e6) / Math.max(1, delivered)),
    generatorCpuPercent: Math.round((genCpu / elapsedAll) * 100),
    generatorCpuMicrosPerMessage: Math.round((genCpu * 1e6) / Math.max(1, delivered)),
    serverSyscallsPerMessage: perMessage('syscalls', 2),
    serverWrittenBytesPerMessage: perMessage('writtenBytes', 0),
    serverDiskBytesPerMessage: perMessage('diskBytes', 0),
    nodeCpuMicrosPerMessage: nodesCpu.map((c) => Math.round((c * 1e6) / Math.max(1, delivered))),
    pgTransactionsPerMessage: tier('pgTransactions'),
    pgRowsWrittenPerMessage: tier('pgRowsWritten'),
    redisCommandsPerMessage: tier('redisCommands'),
  };
}

async function runStorm(
  name: SystemName,
  workers: readonly ChildProcess[],
  serverPids: readonly number[],
  offline: readonly DeviceInfo[],
  args: Args,
  log: (line: string) => void,
): Promise<StormResult | string> {
  if (name === 'nats') return 'NATS core keeps nothing for offline subscribers: no storm row';
  if (name === 'mosquitto' && process.env['PARLEY_BENCH_MQTT_STORM'] !== '1')
    return 'not measured: with persistent sessions the generator received only part of the queued messages (PARLEY_BENCH_MQTT_STORM=1 runs it)';
  const k = workers.length;
  // The storm's devices need the connections (one process holds about 19,000): the load
  // phase's devices go, but for a few that send the queued messages.
  await ask(
    workers,
    { kind: 'trim', keep: STORM_SENDERS_PER_WORKER },
    'trimmed',
    CONNECT_TIMEOUT_MS,
  );
  const part = (w: number): DeviceInfo[] => {
    const [from, to] = share(offline.length, w, k);
    return offline.slice(from, to);
  };
  if (name === 'mosquitto')
    await ask(
      workers,
      (w) => ({ kind: 'register-offline', recipients: part(w) }),
      'registered',
      CONNECT_TIMEOUT_MS,
    );
  const filled = await ask(
    workers,
    (w) => ({ kind: 'fill', recipients: part(w), perDevice: args.stormQueue }),
    'filled',
    CONNECT_TIMEOUT_MS * 4,
  );
  const queued = filled.reduce((s, r) => s + r.stored, 0);
  log(
    `  ${name} storm: ${String(queued)} messages queued for ${String(offline.length)} offline devices`,
  );
  const cpuNow = (): number => sumOver(serverPids, procStat).cpuSeconds;
  const before = cpuNow();
  const start = nowMicros();
  const stormed = await ask(
    workers,
    (w) => ({ kind: 'storm', recipients: part(w), expected: part(w).length * args.stormQueue }),
    'stormed',
    CONNECT_TIMEOUT_MS * 2,
  );
  const cpu = cpuNow() - before;
  const drained = stormed.reduce((s, r) => s + r.received, 0);
  const last = Math.max(...stormed.map((r) => r.lastMicros));
  return {
    devices: offline.length,
    queuedPerDevice: args.stormQueue,
    queued,
    drained,
    duplicates: stormed.reduce((s, r) => s + r.duplicates, 0),
    drainSeconds: drained === 0 ? NaN : Number(((last - start) / 1e6).toFixed(2)),
    serverCpuMicrosPerMessage: Math.round((cpu * 1e6) / Math.max(1, drained)),
  };
}

function table(args: Args, n: number, results: readonly (SystemResult | string)[]): string {
  const rows = results.filter((r): r is SystemResult => typeof r !== 'string');
  const skipped = results.filter((r): r is string => typeof r === 'string');
  const ours = rows.find((r) => r.name === 'parley');
  const head = `| system | msg/s (p99 < ${String(P99_LIMIT_MS)} ms, no loss) | p50 / p99 ms | server CPU µs/msg | syscalls/msg | B written/msg (disk) | generator CPU µs/msg | B per idle connection | ours / theirs (CPU per msg) |`;
  const lines = [
    `N = ${n.toLocaleString('en-US')} (load average ${loadavg()[0]?.toFixed(1) ?? '?'})${args.subject === 'relay' ? '' : `; the parley rows are ${args.subject}`}`,
    '',
    head,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const b = r.best;
    const ratio =
      ours?.best === undefined || b === undefined || r === ours
        ? '—'
        : `${(ours.best.serverCpuMicrosPerMessage / Math.max(1, b.serverCpuMicrosPerMessage)).toFixed(2)}×`;
    lines.push(
      b === undefined
        ? `| ${r.name} | — | — | — | — | — | — | ${String(r.bytesPerIdleConnection)} | — |`
        : `| ${r.name} | ${b.passed ? '' : '(none passed) '}${String(b.messagesPerSecond)} | ${String(b.p50Ms)} / ${String(b.p99Ms)} | ${String(b.serverCpuMicrosPerMessage)} | ${String(b.serverSyscallsPerMessage)} | ${String(b.serverWrittenBytesPerMessage)} (${String(b.serverDiskBytesPerMessage)}) | ${String(b.generatorCpuMicrosPerMessage)} | ${String(r.bytesPerIdleConnection)} | ${ratio} |`,
    );
  }
  const tiers = ours?.best;
  if (
    tiers !== undefined &&
    (tiers.pgTransactionsPerMessage > 0 || tiers.redisCommandsPerMessage > 0)
  )
    lines.push(
      '',
      `parley tiers per message: relay CPU per node ${tiers.nodeCpuMicrosPerMessage.join(' + ')} µs, PostgreSQL ${String(tiers.pgTransactionsPerMessage)} transactions and ${String(tiers.pgRowsWrittenPerMessage)} rows written, Redis ${String(tiers.redisCommandsPerMessage)} commands`,
    );
  // Server CPU per message at each rate every system sustained: the like-for-like comparison.
  const common = (ours?.steps ?? [])
    .map((s) => s.rate)
    .filter((rate) => rows.every((r) => r.steps.some((s) => s.rate === rate && s.passed)));
  if (common.length > 0 && rows.length > 1) {
    lines.push('', `| rate/s | ${rows.map((r) => `${r.name} µs/msg`).join(' | ')} |`);
    lines.push(`| ---: | ${rows.map(() => '---:').join(' | ')} |`);
    for (const rate of common)
      lines.push(
        `| ${String(rate)} | ${rows.map((r) => String(r.steps.find((s) => s.rate === rate)?.serverCpuMicrosPerMessage ?? '—')).join(' | ')} |`,
      );
  }
  const storms = rows.filter((r) => r.storm !== undefined);
  if (storms.length > 0) {
    lines.push(
      '',
      '| reconnect storm | devices × queued | drained | seconds to drain | server CPU µs/msg |',
    );
    lines.push('| --- | ---: | ---: | ---: | ---: |');
    for (const r of storms) {
      const s = r.storm;
      lines.push(
        typeof s === 'string' || s === undefined
          ? `| ${r.name} | ${s ?? '—'} | | | |`
          : `| ${r.name} | ${String(s.devices)} × ${String(s.queuedPerDevice)} | ${String(s.drained)}${s.duplicates > 0 ? ` (+${String(s.duplicates)} dup)` : ''} | ${String(s.drainSeconds)} | ${String(s.serverCpuMicrosPerMessage)} |`,
      );
    }
  }
  for (const s of skipped) lines.push('', s);
  return lines.join('\n');
}

/** The JSON of one N: today's fields for Parley, plus `peers` measured in the same run. */
function json(args: Args, n: number, results: readonly (SystemResult | string)[]): unknown {
  const rows = results.filter((r): r is SystemResult => typeof r !== 'string');
  const ours = rows.find((r) => r.name === 'parley');
  const b = ours?.best;
  return {
    devices: n,
    seconds: args.seconds,
    workers: args.workers,
    sqliteSync: args.sync,
    storage: args.storage,
    redis: args.redis,
    nodes: args.nodes,
    sendsOver: 'websocket',
    subject: args.subject,
    deliveryProtocol: 2,
    loadAverage: Number(loadavg()[0]?.toFixed(2) ?? 0),
    sent: b?.sent,
    delivered: b?.delivered,
    lost: b?.lost,
    duplicates: b?.duplicates,
    failures: b?.failures,
    passed: b?.passed,
    messagesPerSecond: b?.messagesPerSecond,
    p50Ms: b?.p50Ms,
    p99Ms: b?.p99Ms,
    relayCpuPercent: b?.serverCpuPercent,
    relayCpuMicrosPerMessage: b?.serverCpuMicrosPerMessage,
    generatorCpuPercent: b?.generatorCpuPercent,
    generatorCpuMicrosPerMessage: b?.generatorCpuMicrosPerMessage,
    idleConnections: n,
    relayBytesPerIdleConnection: ours?.bytesPerIdleConnection,
    steps: ours?.steps,
    ...(ours?.storm === undefined ? {} : { storm: ours.storm }),
    peers: rows
      .filter((r) => r.name !== 'parley')
      .map((r) => ({
        name: r.name,
        serverCpuMicrosPerMessage: r.best?.serverCpuMicrosPerMessage,
        messagesPerSecond: r.best?.messagesPerSecond,
        p50Ms: r.best?.p50Ms,
        p99Ms: r.best?.p99Ms,
        lost: r.best?.lost,
        passed: r.best?.passed,
        bytesPerIdleConnection: r.bytesPerIdleConnection,
        steps: r.steps,
        ...(r.storm === undefined ? {} : { storm: r.storm }),
      })),
    skipped: results.filter((r): r is string => typeof r === 'string'),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string): void => {
    if (!args.json) console.log(line);
    else console.error(line);
  };
  const out: unknown[] = [];
  for (const n of args.devices) {
    const results: (SystemResult | string)[] = [];
    for (const name of ['parley', ...args.peers] as const) {
      const r = await runSystem(name, args, n, log);
      if (typeof r === 'string') log(`  ${r}`);
      results.push(r);
    }
    if (args.json) out.push(json(args, n, results));
    else console.log(`\n${table(args, n, results)}\n`);
  }
  if (args.json) console.log(JSON.stringify(out.length === 1 ? out[0] : out, null, 2));
}

await main();
