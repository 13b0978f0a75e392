/**
 * The web client's integrity manifest: every file of a build with its SHA-256 and size, and a
 * root hash over the manifest's canonical form, so one short string names one exact build.
 *
 * Canonical form (version 1), UTF-8, every line ending in `\n`:
 *
 *     parley-web-manifest/1
 *     <sha256 of the file, 64 lowercase hex> <size in bytes, decimal> <path>
 *     …one line per file, sorted by path (code-unit order; paths are ASCII)…
 *
 * The root is the SHA-256 of that text, in lowercase hex. Paths start with `/`, are the URL
 * paths the files are served at, and use only `A-Z a-z 0-9 . _ -` between slashes (no `.` or
 * `..` segment). The version string and the manifest's JSON layout are outside the root: two
 * builds with the same root served the same bytes at the same paths.
 */
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { toBase64, toHex, utf8Encode } from '@parley/bytes';
import { WebIntegrityError } from './errors.js';
import {
  MAX_MANIFEST_FILE_BYTES,
  MAX_MANIFEST_FILES,
  MAX_MANIFEST_PATH,
  MAX_MANIFEST_TEXT,
  MAX_MANIFEST_VERSION,
} from './limits.js';

/** Where a relay publishes the manifest of the client it serves. */
export const MANIFEST_PATH = '/.well-known/parley-web-manifest.json';
/** The first line of the canonical form and the manifest's `format` field. */
export const MANIFEST_FORMAT = 'parley-web-manifest/1';

/** One file of a build. */
export interface ManifestFile {
  /** The URL path it is served at, e.g. `/assets/index-BxNZSoFZ.js`. */
  readonly path: string;
  /** SHA-256 of its bytes, lowercase hex. */
  readonly sha256: string;
  readonly size: number;
}

/** A build's manifest, as published at {@link MANIFEST_PATH}. */
export interface WebManifest {
  readonly format: typeof MANIFEST_FORMAT;
  /** The web client's version (informational; outside the root). */
  readonly version: string;
  /** SHA-256 of {@link canonicalManifest}, lowercase hex. */
  readonly root: string;
  /** Sorted by path. */
  readonly files: readonly ManifestFile[];
}

const PATH = /^(\/[A-Za-z0-9._-]+)+$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** Whether `path` may appear in a manifest. */
export function isManifestPath(path: string): boolean {
  return (
    path.length <= MAX_MANIFEST_PATH &&
    PATH.test(path) &&
    !path.split('/').some((s) => s === '.' || s === '..')
  );
}

/** SHA-256 of `bytes`, lowercase hex (a manifest's file digest). */
export function fileDigest(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}

/** The Subresource Integrity value for `bytes` (`sha384-…`). */
export function sriDigest(bytes: Uint8Array): string {
  return `sha384-${toBase64(sha384(bytes))}`;
}

/** A CSP hash source for an inline script's text (`'sha256-…'`). */
export function cspScriptHash(text: string): string {
  return `'sha256-${toBase64(sha256(utf8Encode(text)))}'`;
}

function byPath(a: ManifestFile, b: ManifestFile): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** The canonical text the root is computed over (see the file comment). */
export function canonicalManifest(files: readonly ManifestFile[]): string {
  const sorted = [...files].sort(byPath);
  return `${MANIFEST_FORMAT}\n${sorted.map((f) => `${f.sha256} ${f.size} ${f.path}\n`).join('')}`;
}

/** The root of a list of files: SHA-256 of the canonical form, lowercase hex. */
export function manifestRoot(files: readonly ManifestFile[]): string {
  return toHex(sha256(utf8Encode(canonicalManifest(files))));
}

function invalid(what: string): never {
  throw new WebIntegrityError('INVALID_MANIFEST', `manifest: ${what}`);
}

function checkFiles(files: readonly ManifestFile[]): void {
  if (files.length > MAX_MANIFEST_FILES) invalid(`more than ${MAX_MANIFEST_FILES} files`);
  let previous = '';
  for (const f of files) {
    if (!isManifestPath(f.path)) invalid('a file path is not allowed');
    if (!HEX64.test(f.sha256)) invalid(`the digest of ${f.path} is not 64 lowercase hex digits`);
    if (!Number.isSafeInteger(f.size) || f.size < 0 || f.size > MAX_MANIFEST_FILE_BYTES)
      invalid(`the size of ${f.path} is out of range`);
    if (f.path <= previous) invalid(`files are not sorted by path or repeat (at ${f.path})`);
    previous = f.path;
  }
}

/** The manifest of a build, from each file's URL path and bytes. */
export function createManifest(
  version: string,
  entries: readonly { readonly path: string; readonly bytes: Uint8Array }[],
): WebManifest {
  const files = entries
    .map((e) => ({ path: e.path, sha256: fileDigest(e.bytes), size: e.bytes.length }))
    .sort(byPath);
  checkFiles(files);
  if (version.length === 0 || version.length > MAX_MANIFEST_VERSION) invalid('version length');
  return { format: MANIFEST_FORMAT, version, root: manifestRoot(files), files };
}

/** The manifest as published: JSON, two-space indented, one trailing newline. */
export function encodeManifest(manifest: WebManifest): string {
  return `${JSON.stringify(
    {
      format: manifest.format,
      version: manifest.version,
      root: manifest.root,
      files: manifest.files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })),
    },
    null,
    2,
  )}\n`;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    invalid(`${what} is not an object`);
  return value as Record<string, unknown>;
}

/**
 * Parses a published manifest, checks every bound and that `root` is the hash of its canonical
 * form. Throws {@link WebIntegrityError} (`INVALID_MANIFEST` or `ROOT_MISMATCH`).
 */
export function parseManifest(text: string): WebManifest {
  if (text.length > MAX_MANIFEST_TEXT) invalid(`longer than ${MAX_MANIFEST_TEXT} characters`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    invalid('not JSON');
  }
  const m = record(json, 'the manifest');
  if (m['format'] !== MANIFEST_FORMAT) invalid(`format is not ${MANIFEST_FORMAT}`);
  const version = m['version'];
  if (typeof version !== 'string' || version.length === 0 || version.length > MAX_MANIFEST_VERSION)
    invalid('version is not a short string');
  const root = m['root'];
  if (typeof root !== 'string' || !HEX64.test(root)) invalid('root is not 64 lowercase hex digits');
  const list = m['files'];
  if (!Array.isArray(list)) invalid('files is not an array');
  if (list.length > MAX_MANIFEST_FILES) invalid(`more than ${MAX_MANIFEST_FILES} files`);
  const files = list.map((item: unknown): ManifestFile => {
    const f = record(item, 'a file');
    const { path, sha256: digest, size } = f;
    if (typeof path !== 'string' || typeof digest !== 'string' || typeof size !== 'number')
      invalid('a file lacks path, sha256 or size');
    return { path, sha256: digest, size };
  });
  checkFiles(files);
  if (manifestRoot(files) !== root)
    throw new WebIntegrityError('ROOT_MISMATCH', 'manifest: root is not the hash of its files');
  return { format: MANIFEST_FORMAT, version, root, files };
}

/** One way two manifests differ, naming the file. */
export interface ManifestDifference {
  readonly path: string;
  readonly kind: 'missing' | 'extra' | 'changed';
}

/** How `actual` differs from `expected`, file by file, sorted by path. */
export function compareManifests(
  expected: readonly ManifestFile[],
  actual: readonly ManifestFile[],
): ManifestDifference[] {
  const want = new Map(expected.map((f) => [f.path, f]));
  const have = new Map(actual.map((f) => [f.path, f]));
  const out: ManifestDifference[] = [];
  for (const [path, f] of want) {
    const g = have.get(path);
    if (g === undefined) out.push({ path, kind: 'missing' });
    else if (g.sha256 !== f.sha256 || g.size !== f.size) out.push({ path, kind: 'changed' });
  }
  for (const path of have.keys()) if (!want.has(path)) out.push({ path, kind: 'extra' });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
