/**
 * A small benchmark harness: each benchmark runs for a fixed time per round after a warm-up,
 * over several rounds, and reports the median, min and max rate. Benchmarks in one group are
 * compared with the group's first entry (the baseline), so ratios come from the same run.
 */

export interface Benchmark {
  /** What is measured, e.g. `x25519 dh`; benchmarks with the same group are compared. */
  readonly group: string;
  /** Who does it: a backend or a peer, e.g. `node`, `noble`, `libsignal`. */
  readonly subject: string;
  /** One operation. Async operations are awaited one at a time. */
  readonly run: () => unknown;
}

export interface BenchResult {
  readonly group: string;
  readonly subject: string;
  readonly unit: 'ops/s';
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
  /** Median divided by the group baseline's median (1 for the baseline itself). */
  readonly ratio: number;
  readonly baseline: string;
}

export interface HarnessOptions {
  readonly rounds: number;
  readonly roundMs: number;
  readonly warmupMs: number;
  /**
   * Rates per second of this process's CPU time (user + system, all threads) instead of wall
   * time: steadier than wall time on a shared, loaded machine (`--cpu`).
   */
  readonly cpu?: boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? 0) + hi) / 2;
}

/** Operations between two clock reads when one operation is short. */
const CLOCK_BATCH = 8;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function timeFor(run: () => unknown, ms: number, cpu = false): Promise<number> {
  const firstStart = performance.now();
  const first = run();
  const isAsync = first instanceof Promise;
  if (isAsync) await first;
  let ops = 1;
  const cpuStart = cpu ? cpuMs() : 0;
  const start = performance.now();
  const deadline = start + ms;
  // Check the clock every few operations so timing overhead stays small for fast ones; an
  // operation that takes a good part of the time alone (the ×200 ping-pong rows) checks it after
  // each one, so a round does not run eight past its deadline (the `--quick` smoke run's cost).
  const batch = (start - firstStart) * CLOCK_BATCH > ms ? 1 : CLOCK_BATCH;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) {
      const r = run();
      if (isAsync) await r;
    }
    ops += batch;
    now = performance.now();
  }
  const elapsedMs = cpu ? cpuMs() - cpuStart : now - start;
  return (ops - 1) / (elapsedMs / 1000);
}

/**
 * Runs the benchmarks in order: all rounds of one before the next, to keep caches honest. With
 * `cpu`, the subjects of one group take turns round by round instead (one warm-up each first),
 * so that a change of machine load between subjects does not bias their ratio.
 */
export async function runBenchmarks(
  benchmarks: readonly Benchmark[],
  options: HarnessOptions,
  onResult: (r: BenchResult) => void = () => undefined,
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const baselines = new Map<string, BenchResult>();
  const report = (b: Benchmark, rates: number[]): void => {
    const m = median(rates);
    const base = baselines.get(b.group);
    const result: BenchResult = {
      group: b.group,
      subject: b.subject,
      unit: 'ops/s',
      median: m,
      min: Math.min(...rates),
      max: Math.max(...rates),
      rounds: options.rounds,
      ratio: base ? m / base.median : 1,
      baseline: base ? base.subject : b.subject,
    };
    if (!base) baselines.set(b.group, result);
    results.push(result);
    onResult(result);
  };
  const groups: Benchmark[][] = [];
  for (const b of benchmarks) {
    const last = groups.at(-1);
    if (options.cpu === true && last?.[0]?.group === b.group) last.push(b);
    else groups.push([b]);
  }
  for (const group of groups) {
    for (const b of group) await timeFor(b.run, options.warmupMs);
    const rates = group.map((): number[] => []);
    for (let i = 0; i < options.rounds; i++) {
      for (const [j, b] of group.entries()) {
        rates[j]?.push(await timeFor(b.run, options.roundMs, options.cpu));
      }
    }
    for (const [j, b] of group.entries()) report(b, rates[j] ?? []);
  }
  return results;
}

function formatRate(n: number): string {
  if (n >= 100_000) return `${(n / 1000).toFixed(0)}k`;
  if (n >= 10_000) return `${(n / 1000).toFixed(1)}k`;
  return n.toFixed(n >= 100 ? 0 : 1);
}

export const TABLE_HEADER = `${'benchmark'.padEnd(34)} ${'subject'.padEnd(16)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}  ratio`;

/** One table row: rates in ops/s, ratio against the group's baseline. */
export function formatRow(r: BenchResult): string {
  const ratio = r.baseline === r.subject ? 'baseline' : `${r.ratio.toFixed(2)}× ${r.baseline}`;
  return `${r.group.padEnd(34)} ${r.subject.padEnd(16)} ${formatRate(r.median).padStart(8)} ${formatRate(r.min).padStart(8)} ${formatRate(r.max).padStart(8)}  ${ratio}`;
}
