/**
 * How tests start an app (the relay, `parley`, the key transparency log) as a process. By
 * default from its sources through tsx; with `PARLEY_TEST_BUILT=1` (set by
 * `node scripts/test.mjs --built`, which builds first, so dist/ is current) from its compiled
 * dist/. A start through tsx costs about 2.5 CPU-seconds, a compiled one 0.8: the CLI
 * end-to-end tests start hundreds.
 */
import { fileURLToPath } from 'node:url';

/** Whether the apps' processes run from dist/. */
export const RUN_BUILT = process.env['PARLEY_TEST_BUILT'] === '1';

const SOURCE_ENTRY = /\/(apps\/[a-z-]+)\/src\/([a-z-]+)\.ts$/;

/**
 * The Node arguments that run the entry point `source` (a path or file URL of
 * `apps/NAME/src/FILE.ts`): the loader and the source, or `apps/NAME/dist/FILE.js`.
 */
export function nodeEntry(source: string | URL): string[] {
  const path = source instanceof URL ? fileURLToPath(source) : source;
  if (!RUN_BUILT) return ['--import', 'tsx', '--conditions=parley-source', path];
  const m = SOURCE_ENTRY.exec(path);
  if (m === null) throw new Error(`not an app entry point under apps/*/src: ${path}`);
  return [path.slice(0, m.index) + `/${m[1]}/dist/${m[2]}.js`];
}
