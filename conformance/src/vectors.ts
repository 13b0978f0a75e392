import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Environment variable that points at the vectors folder, overriding the default location. */
export const VECTORS_ENV = 'PARLEY_VECTORS';
/** How far up from this file the repository root (the package.json with workspaces) may be. */
const MAX_PARENT_DEPTH = 8;

/** A vector file, loaded and parsed, or the reason it could not be found. */
export type VectorFile =
  | { readonly found: true; readonly path: string; readonly data: unknown }
  | { readonly found: false; readonly path: string; readonly reason: string };

function isWorkspaceRoot(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
  return typeof parsed === 'object' && parsed !== null && 'workspaces' in parsed;
}

/** The repository root: the nearest folder above this file whose package.json has workspaces. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < MAX_PARENT_DEPTH; i++) {
    if (isWorkspaceRoot(dir)) return dir;
    dir = dirname(dir);
  }
  throw new Error('repository root not found above the conformance package');
}

/** The vectors folder: `$PARLEY_VECTORS`, else the repository's `test-vectors/` (SOURCES.md there). */
export function vectorsDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[VECTORS_ENV];
  if (configured !== undefined && configured !== '') return resolve(configured);
  return resolve(repositoryRoot(), 'test-vectors');
}

/**
 * Reads and parses `relativePath` (e.g. `wycheproof/x25519_test.json`) from the vectors folder.
 * A missing file is a result, not an exception (callers fail their test with its reason; no test
 * skips for it); a file that is not JSON throws.
 */
export function loadJsonVector(
  relativePath: string,
  env: NodeJS.ProcessEnv = process.env,
): VectorFile {
  const cleaned = normalize(relativePath);
  if (isAbsolute(cleaned) || cleaned.split(sep).includes('..')) {
    throw new Error(`vector path must stay inside the vectors folder: ${relativePath}`);
  }
  const directory = vectorsDirectory(env);
  const path = join(directory, cleaned);
  if (!existsSync(path)) {
    const where = env[VECTORS_ENV]
      ? `${VECTORS_ENV}=${directory}`
      : `${directory} (set ${VECTORS_ENV} to override)`;
    return { found: false, path, reason: `vector file ${cleaned} missing from ${where}` };
  }
  return { found: true, path, data: JSON.parse(readFileSync(path, 'utf8')) };
}
