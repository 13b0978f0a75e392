// Runs every test file in the repository with Node's built-in test runner.
// Node 20's `--test` takes no globs, so this script finds the files: every `*.test.ts` under a
// `test/` folder of a workspace. Arguments narrow the run to files whose path contains one of them.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'apps', 'interop', 'bench', 'conformance', 'examples'];
const skip = new Set(['node_modules', 'dist', '.git']);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.test.ts') && path.includes('/test/')) yield path;
  }
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = roots
  .flatMap((r) => {
    try {
      return [...walk(join(root, r))];
    } catch {
      return [];
    }
  })
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

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
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
