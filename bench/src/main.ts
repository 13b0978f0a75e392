// `npm run bench [-- FILTER... --json --quick --cpu --subject S --rounds N --ms N]`: runs the named benchmarks
// and prints a table (or, with --json, only a JSON array of results). FILTERs select benchmarks
// whose group contains one of them; --cpu gives rates per second of process CPU time.
import { createNodePrimitives } from '@parley/primitives-node';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { attachmentsReport } from './attachments.js';
import { clientStoreReport } from './client-store.js';
import { formatRow, runBenchmarks, TABLE_HEADER, type Benchmark } from './harness.js';
import { keyImportBenchmarks } from './key-import.js';
import { keytransPublishReport } from './keytrans-publish.js';
import { keytransReport } from './keytrans.js';
import { mlsBenchmarks } from './mls.js';
import { peerBenchmarks } from './peers.js';
import { primitiveBenchmarks } from './primitives.js';
import { protocolBenchmarks } from './protocol.js';
import { sealedSenderBenchmarks } from './sealed-sender.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
function numberArg(name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
const valued = new Set(['--rounds', '--ms', '--subject']);
const filters = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));

// The web client's benchmark drives chromium (apps/web/test/bench-web.ts) and prints a table of
// its own: `npm run bench -- web` runs it alone.
if (filters.includes('web')) {
  const { runWebBench } = await import('./web.js');
  await runWebBench({ quick, json });
  process.exit(0);
}

const node = primitiveBenchmarks(createNodePrimitives());
const noble = primitiveBenchmarks(createNoblePrimitives());
const peers = peerBenchmarks();
// Interleave so each group lists node (the baseline), then noble, then any peer.
const all: Benchmark[] = [
  ...node
    .flatMap((b, i) => [b, noble[i], ...peers.filter((p) => p.group === b.group)])
    .filter((b): b is Benchmark => b !== undefined),
  ...keyImportBenchmarks(),
  ...protocolBenchmarks(createNodePrimitives(), createNoblePrimitives()),
  ...sealedSenderBenchmarks(createNodePrimitives(), createNoblePrimitives()),
  ...mlsBenchmarks(createNodePrimitives()),
];
// `--subject S[,S...]` keeps those subjects (e.g. libsignal,ours-node) in each group; one alone is
// for profiling one side with `node --cpu-prof` (its ratios then have no libsignal baseline).
const subjectIndex = args.indexOf('--subject');
const subjects = subjectIndex >= 0 ? args[subjectIndex + 1]?.split(',') : undefined;
const selected = all.filter(
  (b) =>
    (filters.length === 0 || filters.some((f) => b.group.includes(f))) &&
    (subjects === undefined || subjects.includes(b.subject)),
);

const options = quick
  ? { rounds: 1, roundMs: 20, warmupMs: 5 }
  : {
      rounds: numberArg('--rounds', 7),
      roundMs: numberArg('--ms', 150),
      // CPU time counts every thread, so with --cpu the warm-up lasts a round: the JIT's and the
      // loader's background threads have settled before anything is counted.
      warmupMs: args.includes('--cpu') ? numberArg('--ms', 150) : 50,
      cpu: args.includes('--cpu'),
    };

if (!json) {
  console.log(
    `${selected.length} benchmarks, ${options.rounds} rounds × ${options.roundMs} ms, Node ${process.version}; rates in ops/s${'cpu' in options && options.cpu ? ' of CPU time' : ''}`,
  );
  console.log(TABLE_HEADER);
}
const results = await runBenchmarks(
  selected,
  options,
  json
    ? undefined
    : (r) => {
        console.log(formatRow(r));
      },
);
if (json) console.log(JSON.stringify(results, null, 2));

// Key transparency is a table of sizes and times over a synthetic log, not an ops/s race: it
// runs when asked for (`npm run bench -- keytrans`, minutes and about 2 GB) and, small, in
// `--quick` smoke runs.
if (filters.some((f) => 'keytrans'.includes(f)) || (quick && filters.length === 0)) {
  await keytransReport({ quick, json });
} else if (!json && filters.length === 0) {
  console.log(
    'keytrans: not run by default (a 10^6-entry synthetic log); npm run bench -- keytrans',
  );
}
// Update throughput over the relay bridge and HTTP (`keytrans-publish` alone, or with `keytrans`).
if (filters.some((f) => 'keytrans-publish'.includes(f)) || (quick && filters.length === 0)) {
  await keytransPublishReport({ quick, json });
}

// Attachments: MB/s against openssl and the sender's memory while uploading 100 MB, a report
// like keytrans (`npm run bench -- attachments`; small in `--quick` smoke runs).
if (filters.some((f) => 'attachments'.includes(f)) || (quick && filters.length === 0)) {
  await attachmentsReport({ quick, json });
} else if (!json && filters.length === 0) {
  console.log(
    'attachments: not run by default (64 MB per backend, a 100 MB upload); npm run bench -- attachments',
  );
}

// The client store: a disappearing-message sweep with and without the expiry index, and the
// cost of SQLite's secure_delete (`npm run bench -- client-store`; small in `--quick` runs).
if (filters.some((f) => 'client-store'.includes(f)) || (quick && filters.length === 0)) {
  clientStoreReport({ quick, json });
}
