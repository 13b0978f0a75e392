/**
 * `parley web verify URL [--expect ROOT]`: checks from outside what a relay serves as its web
 * client. It fetches the published manifest and every file it lists, recomputes each file's
 * SHA-256 and the root, checks the security headers (the strict CSP allowing only the page's
 * own import map, Integrity-Policy on the page, nosniff and the others), and compares the root
 * with the local build (`apps/web/dist`) or the given one. What this proves, and what it cannot
 * (a relay that answers this checker and a browser differently), is in apps/web/README.md
 * ("Checking a relay from outside").
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  compareManifests,
  cspScriptHash,
  fileDigest,
  importMapText,
  INTEGRITY_POLICY,
  MANIFEST_PATH,
  parseManifest,
  WEB_SECURITY_HEADERS,
  WebIntegrityError,
  webIntegrityLimits,
  type WebManifest,
} from '@parley/web-integrity';

/** How long one request may take. */
const REQUEST_TIMEOUT_MS = 30_000;

/** What a check found; `problems` empty means everything matched. */
export interface VerifyReport {
  readonly root: string | undefined;
  readonly expected: string;
  readonly files: number;
  readonly problems: readonly string[];
}

/** Reads at most `limit` bytes of a response body; undefined if it is longer. */
async function readBounded(response: Response, limit: number): Promise<Uint8Array | undefined> {
  if (response.body === null) return new Uint8Array();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    const bytes = Buffer.from(chunk as Uint8Array);
    total += bytes.length;
    if (total > limit) {
      await response.body.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

function get(url: string): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), redirect: 'error' });
}

/** The directives whose values are fixed, whatever else the policy allows. */
function checkCsp(path: string, csp: string | null, importMapHash: string | undefined): string[] {
  if (csp === null) return [`${path}: no Content-Security-Policy`];
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0] !== undefined && d[0] !== '')
      .map((d) => [d[0] ?? '', d.slice(1).join(' ')]),
  );
  const want: Record<string, string> = {
    'default-src': "'none'",
    'script-src': ["'self' 'wasm-unsafe-eval'", importMapHash].filter(Boolean).join(' '),
    'style-src': "'self'",
    'worker-src': "'self'",
    'base-uri': "'none'",
    'form-action': "'none'",
    'frame-ancestors': "'none'",
  };
  const problems: string[] = [];
  for (const [name, value] of Object.entries(want))
    if (directives.get(name) !== value)
      problems.push(`${path}: CSP ${name} is "${directives.get(name) ?? ''}", want "${value}"`);
  return problems;
}

function checkHeaders(path: string, headers: Headers, importMapHash: string | undefined): string[] {
  const problems = checkCsp(path, headers.get('content-security-policy'), importMapHash);
  for (const [name, value] of Object.entries(WEB_SECURITY_HEADERS))
    if (headers.get(name) !== value) problems.push(`${path}: header ${name} is not "${value}"`);
  if (
    (path === '/' || path.endsWith('.html')) &&
    headers.get('integrity-policy') !== INTEGRITY_POLICY
  )
    problems.push(`${path}: header integrity-policy is not "${INTEGRITY_POLICY}"`);
  return problems;
}

/** The manifest of the local build in `dist`, if there is one. */
export function localManifest(dist: string): WebManifest | undefined {
  const file = `${dist}${MANIFEST_PATH}`;
  return existsSync(file) ? parseManifest(readFileSync(file, 'utf8')) : undefined;
}

/**
 * Checks the client served at `base` against `expected` (a root, or the local build's
 * manifest, which also names the files that differ).
 */
export async function verifyWeb(
  base: string,
  expected: string | WebManifest,
  progress: (line: string) => void = () => undefined,
): Promise<VerifyReport> {
  const origin = new URL(base).origin;
  const expectedRoot = typeof expected === 'string' ? expected : expected.root;
  const problems: string[] = [];
  const done = (root: string | undefined, files = 0): VerifyReport => ({
    root,
    expected: expectedRoot,
    files,
    problems,
  });

  const manifestResponse = await get(`${origin}${MANIFEST_PATH}`);
  if (!manifestResponse.ok) {
    problems.push(`${MANIFEST_PATH}: HTTP ${manifestResponse.status}`);
    return done(undefined);
  }
  const manifestBytes = await readBounded(manifestResponse, webIntegrityLimits.MAX_MANIFEST_TEXT);
  let manifest: WebManifest;
  try {
    if (manifestBytes === undefined) throw new WebIntegrityError('INVALID_MANIFEST', 'too long');
    manifest = parseManifest(Buffer.from(manifestBytes).toString('utf8'));
  } catch (e) {
    if (!(e instanceof WebIntegrityError)) throw e;
    problems.push(`${MANIFEST_PATH}: ${e.message}`);
    return done(undefined);
  }
  progress(
    `manifest: version ${manifest.version}, ${manifest.files.length} files, root ${manifest.root}`,
  );

  // index.html first: its import map's hash is part of every response's policy.
  let importMapHash: string | undefined;
  const bodies = new Map<string, Uint8Array>();
  const ordered = [...manifest.files].sort(
    (a, b) => Number(b.path === '/index.html') - Number(a.path === '/index.html'),
  );
  for (const file of ordered) {
    const response = await get(`${origin}${file.path}`);
    const body = response.ok ? await readBounded(response, file.size) : undefined;
    if (!response.ok) problems.push(`${file.path}: HTTP ${response.status}`);
    else if (body === undefined)
      problems.push(`${file.path}: differs from the served manifest (longer)`);
    else if (body.length !== file.size || fileDigest(body) !== file.sha256)
      problems.push(`${file.path}: differs from the served manifest`);
    if (body !== undefined) bodies.set(file.path, body);
    if (file.path === '/index.html' && body !== undefined) {
      const map = importMapText(Buffer.from(body).toString('utf8'));
      importMapHash = map === undefined ? undefined : cspScriptHash(map);
    }
    problems.push(...checkHeaders(file.path, response.headers, importMapHash));
  }
  const page = await get(`${origin}/`);
  const pageBody = page.ok
    ? await readBounded(page, webIntegrityLimits.MAX_MANIFEST_FILE_BYTES)
    : undefined;
  const index = bodies.get('/index.html');
  if (
    pageBody === undefined ||
    index === undefined ||
    !Buffer.from(pageBody).equals(Buffer.from(index))
  )
    problems.push('/: is not /index.html');
  problems.push(...checkHeaders('/', page.headers, importMapHash));

  if (manifest.root !== expectedRoot) {
    if (typeof expected === 'string')
      problems.push(`root ${manifest.root} is not the expected ${expectedRoot}`);
    else
      for (const d of compareManifests(expected.files, manifest.files))
        problems.push(
          `${d.path}: ${d.kind === 'changed' ? 'differs from the local build' : d.kind === 'missing' ? 'in the local build, not served' : 'served, not in the local build'}`,
        );
  }
  return done(manifest.root, manifest.files.length);
}
