/**
 * The service worker's code pin (issue 15) and the offline shell (issue 11), in chromium. The
 * worker pins the build it sees first; when the relay later serves another build, the old code
 * shows the old and the new root and runs nothing new until the person switches. The installed
 * shell works offline: after an offline reload the history is there and search finds it.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { MANIFEST_PATH, parseManifest } from '@parley/web-integrity';
import { writeManifest } from '../build/build-web.js';
import { addPageIntegrity } from '../build/page-integrity.js';
import { PIN_KEY } from '../src/sw/pin-protocol.js';
import { axeViolations, screenshot } from './a11y.js';
import { expect } from './expect.js';
import {
  expectMessage,
  openConversation,
  register,
  send,
  startChat,
  waitOnline,
  UI_TIMEOUT_MS,
} from './flows.js';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  ensureWebBuild,
  launchBrowser,
  openUser,
  startServer,
  type Server,
} from './harness.js';

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

async function serve(options: { webDir: string; port?: number }): Promise<Server> {
  const server = await startServer(options);
  servers.push(server);
  return server;
}

async function controlled(page: Page): Promise<void> {
  await expect(
    () => page.evaluate(() => navigator.serviceWorker.controller !== null),
    'the service worker to control the page',
  );
}

function pinnedRoot(page: Page): Promise<string | null> {
  return page.evaluate(async (key) => {
    const r = await caches.match(key);
    return r === undefined ? null : ((await r.json()) as { root: string }).root;
  }, PIN_KEY);
}

const build = (page: Page) => page.evaluate(() => document.documentElement.dataset['build']);

test(
  'the service worker refuses a changed bundle until the person sees both roots and switches',
  { timeout: 300_000 },
  async () => {
    const dirA = mkdtempSync(join(tmpdir(), 'parley-pin-a-'));
    cpSync(dist, dirA, { recursive: true });
    const rootA = parseManifest(readFileSync(join(dirA, MANIFEST_PATH), 'utf8')).root;
    const a = await serve({ webDir: dirA });
    const user = await openUser(browser, a.base);
    const { page } = user;
    await page.getByRole('button', { name: 'Create account' }).waitFor({ timeout: UI_TIMEOUT_MS });
    await controlled(page);
    await expect(async () => (await pinnedRoot(page)) === rootA, 'the first root to be pinned');

    // The relay now serves build B: its main script marks the page when it runs.
    await a.stop();
    const dirB = mkdtempSync(join(tmpdir(), 'parley-pin-b-'));
    cpSync(dirA, dirB, { recursive: true });
    const main = readdirSync(join(dirB, 'assets')).find((n) => /^index-.*\.js$/.test(n));
    assert.ok(main !== undefined);
    const mainFile = join(dirB, 'assets', main);
    writeFileSync(
      mainFile,
      `document.documentElement.dataset.build='B';\n${readFileSync(mainFile, 'utf8')}`,
    );
    addPageIntegrity(dirB);
    const rootB = writeManifest(dirB, '0.1.1').root;
    assert.notEqual(rootB, rootA);
    await serve({ webDir: dirB, port: a.port });

    // The pinned code runs and shows both roots; B's code has not run.
    await page.reload();
    const heading = page.getByRole('heading', { name: 'The relay offers different code' });
    await heading.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.getByTestId('pinned-root').textContent(), rootA);
    assert.equal(await page.getByTestId('offered-root').textContent(), rootB);
    assert.equal(await build(page), undefined);
    assert.deepEqual(await axeViolations(page), []);
    await screenshot(page, 'code-change-desktop');

    // Keeping the old code runs the old app, still without B.
    await page.getByRole('button', { name: 'Keep running this version' }).click();
    await page.getByRole('button', { name: 'Create account' }).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await build(page), undefined);
    assert.equal(await pinnedRoot(page), rootA);

    // Next load asks again; switching downloads and checks B, pins it, and runs it.
    await page.reload();
    await heading.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await build(page), undefined);
    await page.getByRole('button', { name: 'Switch to the new code' }).click();
    await expect(async () => (await build(page)) === 'B', 'build B to run after the switch');
    await page.getByRole('button', { name: 'Create account' }).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await pinnedRoot(page), rootB);
    assert.deepEqual(user.problems.list, []);
    await user.context.close();
  },
);

test('offline: a reload shows the history and search finds it', { timeout: 300_000 }, async () => {
  const server = await serve({ webDir: dist });
  const ann = await openUser(browser, server.base);
  const ben = await openUser(browser, server.base, undefined, [
    // Offline, the engine's connection attempts fail; that is the point of the test.
    /ERR_INTERNET_DISCONNECTED|WebSocket connection|Failed to fetch|net::ERR/,
  ]);
  await register(ann.page, 'ann');
  await register(ben.page, 'ben');
  await waitOnline(ann.page);
  await waitOnline(ben.page);
  await startChat(ann.page, 'ben');
  await send(ann.page, 'The lighthouse keeper logs every ship');
  await openConversation(ben.page, 'ann');
  await expectMessage(ben.page, 'The lighthouse keeper logs every ship');
  await controlled(ben.page);

  await ben.context.setOffline(true);
  await ben.page.reload();
  await ben.page.getByText('Signed in as ben').waitFor({ timeout: UI_TIMEOUT_MS });
  await openConversation(ben.page, 'ann');
  await expectMessage(ben.page, 'The lighthouse keeper logs every ship');
  const search = ben.page.getByRole('searchbox', { name: 'Search messages' });
  await search.fill('HOUSE KEEP');
  const results = ben.page.getByRole('region', { name: 'Search results' });
  await results.getByText('1 message found.').waitFor({ timeout: UI_TIMEOUT_MS });
  assert.equal(
    await ben.page.evaluate(() => navigator.onLine),
    false,
    'the page really was offline',
  );
  await ben.context.setOffline(false);
  assert.deepEqual(ann.problems.list, []);
  assert.deepEqual(ben.problems.list, []);
});

test('installable: chromium finds no installability error', { timeout: 120_000 }, async () => {
  const server = await serve({ webDir: dist });
  // A persistent profile: chromium never offers to install from an incognito-like context.
  const profile = mkdtempSync(join(tmpdir(), 'parley-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.base}/`);
    await controlled(page);
    const cdp = await context.newCDPSession(page);
    const manifest = (await cdp.send('Page.getAppManifest')) as { errors: unknown[]; url: string };
    assert.deepEqual(manifest.errors, []);
    assert.match(manifest.url, /\/manifest\.webmanifest$/);
    await expect(async () => {
      const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
        installabilityErrors: unknown[];
      };
      return installabilityErrors.length === 0;
    }, 'no installability error');
  } finally {
    await context.close();
  }
});
