/**
 * The browser's client store, in chromium: the SDK's storage conformance suite and the
 * at-rest-key cases run in a worker against SQLite WASM on OPFS, on a page the real relay
 * serves under its strict Content-Security-Policy.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { writeManifest } from '../build/build-web.js';
import { addPageIntegrity } from '../build/page-integrity.js';
import { launchBrowser, startServer, watch, WEB, type Server } from './harness.js';

interface SuiteResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

async function buildSuitePage(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'parley-store-suite-'));
  const { build } = await import('vite');
  await build({
    root: join(WEB, 'test/browser'),
    configFile: join(WEB, 'vite.config.ts'),
    logLevel: 'warn',
    publicDir: join(WEB, 'public'),
    build: { outDir: out, emptyOutDir: true },
  });
  // As the app's build: SRI and the import map (the relay sends Integrity-Policy), a manifest.
  addPageIntegrity(out);
  writeManifest(out, '0.0.0-store-suite');
  return out;
}

test('client store suite in chromium (SQLite WASM on OPFS)', { timeout: 300_000 }, async (t) => {
  let server: Server | undefined;
  let browser: Browser | undefined;
  try {
    server = await startServer({ webDir: await buildSuitePage() });
    browser = await launchBrowser();
    const context = await browser.newContext({ baseURL: server.base });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto('/');
    const results = await page.evaluate(async () => {
      const w = window as unknown as { storeSuite?: Promise<SuiteResult[]> };
      for (let i = 0; i < 600 && w.storeSuite === undefined; i++)
        await new Promise((r) => setTimeout(r, 100));
      return (await w.storeSuite) ?? [];
    });
    assert.ok(results.length >= 10, `only ${results.length} results`);
    assert.ok(results.filter((r) => r.name.startsWith('conformance: ')).length >= 6);
    for (const r of results)
      await t.test(r.name, () => {
        assert.ok(r.ok, r.error);
      });
    assert.deepEqual(problems.list, []);
  } finally {
    await browser?.close();
    await server?.stop();
  }
});
