/**
 * Subresource Integrity for the built page: an `integrity` attribute on every script and
 * stylesheet tag of `index.html`, and an import map whose `integrity` section lists every
 * JavaScript module of the build, so modules the page imports later (dynamic imports, their
 * preloads) are checked too. The import map is the page's one inline script; the relay allows
 * it by its hash in the CSP. With `Integrity-Policy: blocked-destinations=(script)` (Chromium
 * 138+) a script without integrity metadata does not run at all.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sriDigest } from '@parley/web-integrity';

const TAG = /<(script|link)\b([^>]*?)\s(src|href)="(\/[^"]+)"([^>]*)>/g;

/** Adds SRI attributes and the import map to `outDir/index.html`. */
export function addPageIntegrity(outDir: string): void {
  const sri = (path: string): string => sriDigest(readFileSync(join(outDir, ...path.split('/'))));
  const file = join(outDir, 'index.html');
  // Idempotent: a page that has them already gets them recomputed.
  let html = readFileSync(file, 'utf8')
    .replace(/<script type="importmap">[^<]*<\/script>\n\s*/, '')
    .replace(/ integrity="[^"]*"/g, '');
  html = html.replace(
    TAG,
    (tag: string, name: string, before: string, attr: string, path: string, after: string) => {
      const isScript = name === 'script';
      const isStyle = /\brel="(stylesheet|modulepreload)"/.test(tag);
      if ((!isScript && !isStyle) || tag.includes('integrity=')) return tag;
      return `<${name}${before} ${attr}="${path}" integrity="${sri(path)}"${after}>`;
    },
  );
  const modules = readdirSync(join(outDir, 'assets'))
    .filter((n) => n.endsWith('.js'))
    .sort()
    .map((n) => `/assets/${n}`);
  const map = JSON.stringify({ integrity: Object.fromEntries(modules.map((p) => [p, sri(p)])) });
  const first = html.search(/<(script|link)\b[^>]*(type="module"|rel="modulepreload")/);
  if (first < 0) throw new Error('index.html has no module script');
  html = `${html.slice(0, first)}<script type="importmap">${map}</script>\n    ${html.slice(first)}`;
  writeFileSync(file, html);
}
