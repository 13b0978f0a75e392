/**
 * The security headers the web client is served with, built in one place so the relay, `parley
 * web serve` and `parley web verify` agree on them.
 */

/** What may differ between the places that serve the client. */
export interface CspOptions {
  /** CSP hash sources (`'sha256-…'`) of the page's inline import map, if it has one. */
  readonly scriptHashes?: readonly string[];
  /** Origins the page may connect to besides its own (a remote relay, for `web serve`). */
  readonly connect?: readonly string[];
}

/**
 * The one Content-Security-Policy: nothing from other origins, scripts only from this origin
 * (plus the page's import map by hash, and WebAssembly compilation for SQLite), connections
 * only to this origin and the configured relay, images from this origin and from `blob:` URLs
 * the page made itself (decrypted attachments), no inline style, no framing.
 */
export function webCsp(options: CspOptions = {}): string {
  const hashes = options.scriptHashes ?? [];
  const connect = options.connect ?? [];
  return [
    "default-src 'none'",
    ["script-src 'self' 'wasm-unsafe-eval'", ...hashes].join(' '),
    "style-src 'self'",
    // blob: for images the engine decrypted (attachments, their thumbnails): never a network
    // source, only bytes this page already holds.
    "img-src 'self' blob:",
    ["connect-src 'self'", ...connect].join(' '),
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * `Integrity-Policy` (Chromium 138+): the page loads no script without integrity metadata (SRI
 * on its tags, the import map's `integrity` for every module it imports).
 */
export const INTEGRITY_POLICY = 'blocked-destinations=(script)';

/** Headers on every web client response (the CSP is added per server). */
export const WEB_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'permissions-policy': 'camera=(self), microphone=(), geolocation=(), payment=(), usb=()',
};

/** The headers a response for `path` must carry, besides its content type and caching. */
export function webHeaders(path: string, csp: CspOptions = {}): Record<string, string> {
  const headers: Record<string, string> = {
    ...WEB_SECURITY_HEADERS,
    'content-security-policy': webCsp(csp),
  };
  if (path === '/' || path.endsWith('.html')) headers['integrity-policy'] = INTEGRITY_POLICY;
  return headers;
}

/**
 * The inline import map of a built `index.html` (the text between its tags), if any: the one
 * inline script the CSP allows, by hash.
 */
export function importMapText(html: string): string | undefined {
  const m = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html);
  return m?.[1];
}
