import type { SuiteResult } from './suites.js';

/** Passed, failed and skipped counts. */
export interface Counts {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

/** Failures listed per suite line; the rest are counted. */
const MAX_FAILURES_SHOWN = 20;

/** The totals over all results. */
export function totals(results: readonly SuiteResult[]): Counts {
  return results.reduce(
    (t, r) => ({
      passed: t.passed + r.passed,
      failed: t.failed + r.failed,
      skipped: t.skipped + r.skipped,
    }),
    { passed: 0, failed: 0, skipped: 0 },
  );
}

/** One aligned line per suite and backend, a total line, then failures and skip reasons. */
export function formatReport(results: readonly SuiteResult[]): string {
  const t = totals(results);
  const suiteWidth = Math.max('total'.length, ...results.map((r) => r.suite.length));
  const backendWidth = Math.max(0, ...results.map((r) => r.backend.length));
  const countWidth = String(Math.max(t.passed, t.failed, t.skipped)).length;
  const line = (suite: string, backend: string, c: Counts): string =>
    `${suite.padEnd(suiteWidth)}  ${backend.padEnd(backendWidth)}  ` +
    `passed ${String(c.passed).padStart(countWidth)}  failed ${String(c.failed).padStart(countWidth)}  ` +
    `skipped ${String(c.skipped).padStart(countWidth)}`;
  const lines = results.map((r) => line(r.suite, r.backend, r));
  lines.push(line('total', '', t));
  for (const r of results) {
    if (r.failures.length === 0) continue;
    lines.push('', `${r.suite} (${r.backend}) failures:`);
    lines.push(...r.failures.slice(0, MAX_FAILURES_SHOWN).map((f) => `  ${f}`));
    if (r.failures.length > MAX_FAILURES_SHOWN)
      lines.push(`  … and ${r.failures.length - MAX_FAILURES_SHOWN} more`);
  }
  const notes = results.flatMap((r) => r.notes.map((n) => `  ${n} (${r.backend})`));
  if (notes.length > 0) lines.push('', 'skipped:', ...notes);
  return lines.join('\n');
}

/** The `--json` form: only the counts. */
export function formatJson(results: readonly SuiteResult[]): string {
  return JSON.stringify(
    results.map(({ suite, backend, passed, failed, skipped }) => ({
      suite,
      backend,
      passed,
      failed,
      skipped,
    })),
    null,
    2,
  );
}
