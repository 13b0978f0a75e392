import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { emptyResult, type SuiteResult } from './suites.js';

/** Where the libsignal interop tests live, relative to the repository root. */
const INTEROP_TEST_DIR = join('interop', 'libsignal', 'test');
/** Where the ts-mls interop tests live, relative to the repository root. */
const MLS_INTEROP_TEST_DIR = join('interop', 'mls', 'test');
/** The interop run talks to a native library; ten minutes is far beyond a healthy run. */
const INTEROP_TIMEOUT_MS = 10 * 60 * 1000;
/** Output kept from the child, enough for every TAP line of a large run. */
const MAX_CHILD_OUTPUT_BYTES = 64 * 1024 * 1024;
const MAX_LISTED_FAILURES = 20;

function summaryCount(tap: string, label: string): number | undefined {
  const match = new RegExp(`^# ${label} (\\d+)$`, 'm').exec(tap);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The SPQR braid's interop files (`spqr-*.test.ts`), counted as their own suite. */
const isSpqrFile = (f: string): boolean => f.startsWith('spqr-');

/** The sealed sender interop files (`sealed-*.test.ts`), counted as their own suite. */
const isSealedFile = (f: string): boolean => f.startsWith('sealed-');

/**
 * `interop:libsignal`: runs `interop/libsignal/test/*.test.ts` (but the SPQR and sealed sender files) with Node's
 * test runner (TAP) and counts the summary. Skipped, with the reason, when there are no test
 * files yet.
 */
export function libsignalInterop(root: string): SuiteResult {
  return nodeTestSuite(
    root,
    'interop:libsignal',
    'libsignal',
    INTEROP_TEST_DIR,
    (f) => !isSpqrFile(f) && !isSealedFile(f),
  );
}

/**
 * `interop:libsignal-sealed-sender`: sealed sender v1 and v2 against libsignal with our own trust
 * root (`sealed-*.test.ts`): both directions, certificates from either side, expired and wrongly
 * signed certificates refused by both, v2 fan-out through either side's parser, the JSON-lines
 * peers' `seal`/`unseal`.
 */
export function libsignalSealedSenderInterop(root: string): SuiteResult {
  return nodeTestSuite(
    root,
    'interop:libsignal-sealed-sender',
    'libsignal',
    INTEROP_TEST_DIR,
    isSealedFile,
  );
}

/**
 * `interop:libsignal-spqr`: the full SPQR braid against libsignal (`spqr-*.test.ts`): epochs
 * advancing on both sides, loss and reordering, known answers for every message type.
 */
export function libsignalSpqrInterop(root: string): SuiteResult {
  return nodeTestSuite(root, 'interop:libsignal-spqr', 'libsignal', INTEROP_TEST_DIR, isSpqrFile);
}

/** `interop:mls`: the same for `interop/mls/test/*.test.ts` (groups shared with ts-mls 1.6.4). */
export function mlsInterop(root: string): SuiteResult {
  return nodeTestSuite(root, 'interop:mls', 'ts-mls', MLS_INTEROP_TEST_DIR);
}

function nodeTestSuite(
  root: string,
  suite: string,
  backend: string,
  testDir: string,
  include: (file: string) => boolean = () => true,
): SuiteResult {
  const result = emptyResult(suite, backend);
  const dir = join(root, testDir);
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.test.ts') && include(f))
        .sort()
        .map((f) => join(testDir, f))
    : [];
  if (files.length === 0) {
    result.skipped = 1;
    result.notes.push(`${suite}: no *.test.ts files in ${testDir} yet`);
    return result;
  }
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=parley-source', '--test', '--test-reporter=tap', ...files],
    { cwd: root, encoding: 'utf8', timeout: INTEROP_TIMEOUT_MS, maxBuffer: MAX_CHILD_OUTPUT_BYTES },
  );
  const tap = child.stdout;
  const pass = summaryCount(tap, 'pass');
  const fail = summaryCount(tap, 'fail');
  if (pass === undefined || fail === undefined) {
    result.failed = 1;
    const why = child.error ? child.error.message : `exit status ${String(child.status)}`;
    result.failures.push(`${suite}: no TAP summary (${why})`);
    return result;
  }
  result.passed = pass;
  result.failed = fail + (summaryCount(tap, 'cancelled') ?? 0);
  result.skipped = (summaryCount(tap, 'skipped') ?? 0) + (summaryCount(tap, 'todo') ?? 0);
  const notOk = tap.split('\n').filter((line) => /^\s*not ok \d+/.test(line));
  result.failures.push(...notOk.slice(0, MAX_LISTED_FAILURES).map((line) => line.trim()));
  if (result.failed === 0 && child.status !== 0) {
    result.failed = 1;
    result.failures.push(`${suite}: test runner exited with status ${String(child.status)}`);
  }
  return result;
}
