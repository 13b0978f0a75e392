// Runs every test file in the repository with Node's built-in test runner.
// Node 20's `--test` takes no globs, so this script finds the files: every `*.test.ts` under a
// `test/` folder of a workspace. Arguments narrow the run to files whose path contains one of them.
//
//   --built           the apps the tests start as processes (relay, `parley`, key transparency
//                     log) run from their compiled dist/ instead of from sources through tsx: a
//                     third of the CPU per process start. `tsc -b tsconfig.build.json` runs first
//                     (nothing to do after `npm run build`), so dist/ is never stale.
//   --except=SUBSTR   leaves out the files whose path contains SUBSTR (repeatable).
// Every other `--` argument goes to `node --test`.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { root, testFiles } from './test-files.mjs';

const args = process.argv.slice(2);
const built = args.includes('--built');
const except = args
  .filter((a) => a.startsWith('--except='))
  .map((a) => a.slice('--except='.length));
const filters = args.filter((a) => !a.startsWith('--'));
const passThrough = args.filter(
  (a) => a.startsWith('--') && a !== '--built' && !a.startsWith('--except='),
);
const files = testFiles(filters, except);

if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

// Test files run in parallel processes. Node's default is one fewer than the cores, a single
// process on a 2-core machine, while most files spend their time waiting (servers, browsers,
// child processes); PARLEY_TEST_CONCURRENCY overrides.
const MIN_CONCURRENCY = 3;
const concurrency =
  Number(process.env.PARLEY_TEST_CONCURRENCY) || Math.max(MIN_CONCURRENCY, availableParallelism());
const concurrencyFlag = passThrough.some((a) => a.startsWith('--test-concurrency'))
  ? []
  : [`--test-concurrency=${concurrency}`];

if (built) {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--conditions=parley-source',
    '--test',
    ...concurrencyFlag,
    ...passThrough,
    ...files,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: built ? { ...process.env, PARLEY_TEST_BUILT: '1' } : process.env,
  },
);
process.exit(result.status ?? 1);
