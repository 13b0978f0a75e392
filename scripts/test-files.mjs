// The repository's test files, as scripts/test.mjs and scripts/test-cost.mjs list them: every
// `*.test.ts` under a `test/` folder of a workspace, relative to the root, sorted; `filters`
// keeps the paths containing one of them (all when empty), `except` drops those containing one.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;
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

export function testFiles(filters = [], except = []) {
  return roots
    .flatMap((r) => {
      try {
        return [...walk(join(root, r))];
      } catch {
        return [];
      }
    })
    .map((f) => relative(root, f))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .filter((f) => !except.some((x) => f.includes(x)))
    .sort();
}
