/**
 * Served exactly (issue 15), in chromium: the relay's page runs with Subresource Integrity on
 * every script, the import map's integrity section and `Integrity-Policy`, under the strict CSP,
 * without a single violation; a tampered copy of the build is refused by the browser (an inline
 * script injected into the page by the CSP, a changed script by its integrity).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, ConsoleMessage } from 'playwright-core';
import { INTEGRITY_POLICY, MANIFEST_PATH, parseManifest, sriDigest } from '@parley/web-integrity';
import { expect } from './expect.js';
import { register, waitOnline } from './flows.js';
import { ensureWebBuild, launchBrowser, openUser, startServer, type Server } from './harness.js';

let dist: string;
let browser: Browser;
const servers: Server[] = [];

before(async () => {
  dist = await ensureWebBuild();
  browser = await launchBrowser();
});

after(async () => {
  await (browser as Browser | undefined)?.close();
  for (const s of servers) await s.stop();
});

/** A copy of the build with `change` applied to one file (the manifest left as it was). */
function tampered(file: string, change: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-tampered-'));
  cpSync(dist, dir, { recursive: true });
  writeFileSync(join(dir, file), change(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

test(
  'the page runs under SRI, the import map and Integrity-Policy with no violation',
  { timeout: 180_000 },
  async () => {
    const server = await startServer({ webDir: dist });
    servers.push(server);
    const page = await fetch(`${server.base}/`);
    assert.equal(page.headers.get('integrity-policy'), INTEGRITY_POLICY);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/]+=*'/);
    const html = await page.text();
    assert.match(html, /<script type="importmap">\{"integrity":/);
    assert.match(html, /<script type="module" crossorigin src="[^"]+" integrity="sha384-/);
    const manifest = parseManifest(await (await fetch(`${server.base}${MANIFEST_PATH}`)).text());
    assert.ok(manifest.files.some((f) => f.path === '/index.html'));

    const user = await openUser(browser, server.base);
    await register(user.page, 'integra');
    await waitOnline(user.page);
    // About shows the root this browser runs: the served build's, once the worker pinned it.
    await user.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('button', { name: 'Settings' })
      .click();
    await expect(
      async () => (await user.page.getByTestId('code-root').textContent()) === manifest.root,
      'About to show the root',
    );
    assert.deepEqual(user.problems.list, []);
    await user.context.close();
  },
);

test(
  'CSP refuses an inline script injected into a tampered page',
  { timeout: 120_000 },
  async () => {
    const dir = tampered('index.html', (html) =>
      html.replace(
        '</body>',
        `<script>document.documentElement.dataset.injected = 'ran';</script></body>`,
      ),
    );
    const server = await startServer({ webDir: dir });
    servers.push(server);
    assert.match(server.output(), /differ from its manifest.*\/index\.html/);
    const refusals: string[] = [];
    const user = await openUser(browser, server.base, undefined, [/Content Security Policy/]);
    user.page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error' && /Content Security Policy/.test(m.text())) refusals.push(m.text());
    });
    await user.page.reload();
    await expect(
      () => refusals.some((r) => /inline script/.test(r)),
      'the CSP refusal in the console',
    );
    assert.equal(
      await user.page.evaluate(() => document.documentElement.dataset['injected']),
      undefined,
    );
    await user.context.close();
  },
);

test(
  'a changed script is refused by its integrity: the app does not start',
  { timeout: 120_000 },
  async () => {
    const main = readdirSync(join(dist, 'assets')).find((n) => /^index-.*\.js$/.test(n));
    assert.ok(main !== undefined);
    const dir = tampered(join('assets', main), (js) => `document.title = 'changed';\n${js}`);
    const server = await startServer({ webDir: dir });
    servers.push(server);
    const refusals: string[] = [];
    const user = await openUser(browser, server.base, undefined, [/integrity/]);
    user.page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error' && /integrity/.test(m.text())) refusals.push(m.text());
    });
    await user.page.reload();
    await expect(
      () => refusals.some((r) => r.includes(main)),
      'the integrity refusal naming the script',
    );
    assert.equal(await user.page.title(), 'Parley');
    assert.equal(await user.page.getByRole('button', { name: 'Create account' }).count(), 0);
    await user.context.close();
  },
);

test(
  'Integrity-Policy refuses a same-origin script without integrity metadata, loads it with',
  { timeout: 120_000 },
  async () => {
    // A lazily loaded chunk of the build (no side effects when evaluated), as a module script.
    const helper = readdirSync(join(dist, 'assets')).find((n) => /^QrCode-.*\.js$/.test(n));
    assert.ok(helper !== undefined);
    const src = `/assets/${helper}`;
    const sri = sriDigest(readFileSync(join(dist, 'assets', helper)));
    const server = await startServer({ webDir: dist });
    servers.push(server);
    const user = await openUser(browser, server.base);
    await user.page.getByRole('button', { name: 'Create account' }).waitFor();
    // (No named functions inside evaluate: tsx would wrap them in a helper the page lacks.)
    const outcome = await user.page.evaluate(
      ({ src, sri }) =>
        Promise.all(
          [undefined, sri].map(
            (integrity) =>
              new Promise<string>((resolve) => {
                const script = document.createElement('script');
                script.type = 'module';
                script.src = `${src}?${integrity === undefined ? 'bare' : 'sri'}`;
                script.crossOrigin = 'anonymous';
                if (integrity !== undefined) script.integrity = integrity;
                script.onload = () => resolve('loaded');
                script.onerror = () => resolve('refused');
                document.head.append(script);
              }),
          ),
        ),
      { src, sri },
    );
    assert.deepEqual(outcome, ['refused', 'loaded']);
    assert.deepEqual(user.problems.list, []);
    await user.context.close();
  },
);
