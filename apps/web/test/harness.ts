/**
 * The browser tests' harness: the web client built with Vite (once, while its sources are
 * unchanged), the real relay (apps/server, a separate process) serving it on a loopback port,
 * and Debian's chromium driven by playwright-core, headless, with a fresh profile. Each user is
 * a browser context of its own (separate storage, locks and channels); tests find elements by
 * role and accessible name. Every page fails its test on a page error, an unexpected console
 * error or a Content-Security-Policy violation.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeEntry } from '../../server/test/node-entry.js';
import { buildWeb } from '../build/build-web.js';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  ENGINE_CHANNEL,
  type RequestName,
  type Requests,
  type TimelineItem,
} from '../src/engine/protocol.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WEB = fileURLToPath(new URL('../', import.meta.url));
export const DIST = join(WEB, 'dist');
const SERVER = join(ROOT, 'apps/server/src/main.ts');
// Generous: tsx compiles the relay from source, on a machine shared by several test runs.
const START_TIMEOUT_MS = 90_000;
const BUILD_LOCK_WAIT_MS = 180_000;

/** Chromium's binary: `PARLEY_CHROMIUM` or Debian's. */
export const CHROMIUM = process.env['PARLEY_CHROMIUM'] ?? '/usr/bin/chromium';
/** Flags for every launch: headless, no sandbox (containers), nothing talking to Google. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

/** Viewports for screenshots and layout checks. */
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

// ---------------------------------------------------------------------------------------------
// Building

function* files(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

/** A fingerprint of everything the build reads: the app and every package's sources. */
function sourceStamp(): string {
  const h = createHash('sha256');
  const inputs = [
    join(WEB, 'src'),
    join(WEB, 'build'),
    join(WEB, 'public'),
    join(WEB, 'index.html'),
    join(WEB, 'vite.config.ts'),
    join(WEB, 'package.json'),
    ...readdirSync(join(ROOT, 'packages')).map((p) => join(ROOT, 'packages', p, 'src')),
  ];
  for (const input of inputs) {
    const list = existsSync(input) && statSync(input).isFile() ? [input] : [...files(input)];
    for (const f of list) {
      const s = statSync(f);
      h.update(`${relative(ROOT, f)}\0${s.size}\0${s.mtimeMs}\n`);
    }
  }
  return h.digest('hex');
}

async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(WEB, '.build-lock');
  const deadline = Date.now() + BUILD_LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} held too long; remove it if stale`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds apps/web/dist unless it was built from the current sources. */
export async function ensureWebBuild(): Promise<string> {
  return withBuildLock(async () => {
    const stampFile = join(DIST, '.build-stamp');
    const stamp = sourceStamp();
    if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return DIST;
    await buildWeb({ webDir: WEB });
    writeFileSync(stampFile, stamp);
    return DIST;
  });
}

// ---------------------------------------------------------------------------------------------
// The relay

export interface Server {
  readonly base: string;
  readonly port: number;
  /** SIGTERM, then wait for the process to exit. */
  stop(): Promise<void>;
  /** Everything the process printed. */
  output(): string;
}

/**
 * Starts apps/server serving `webDir`; on SQLite in `dataDir` if given, else in memory; on
 * `port` if given (a restart keeps the page's origin), else a free one.
 */
export async function startServer(options: {
  readonly webDir: string;
  readonly dataDir?: string;
  readonly port?: number;
  /** More `parley-server` flags (e.g. `--allow-origin`). */
  readonly args?: readonly string[];
}): Promise<Server> {
  const storage =
    options.dataDir === undefined ? ['--storage', 'memory'] : ['--data-dir', options.dataDir];
  const child = spawn(
    process.execPath,
    [
      ...nodeEntry(SERVER),
      '--host',
      '127.0.0.1',
      '--port',
      String(options.port ?? 0),
      '--web-dir',
      options.webDir,
      '--log-level',
      'warn',
      '--no-rate-limit',
      // No key transparency log by default (no log child per test server, and the bench measures
      // the client without one); transparency.test.ts starts a server with its log.
      '--kt',
      'off',
      ...storage,
      ...(options.args ?? []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not start:\n${out}`));
    }, START_TIMEOUT_MS);
    const check = (): void => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', check);
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`relay exited:\n${out}`));
    });
  });
  return {
    base,
    port: Number(new URL(base).port),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
    output: () => out,
  };
}

// ---------------------------------------------------------------------------------------------
// Browsers

/** Launches headless chromium, failing clearly when it is not installed. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `chromium is not installed at ${CHROMIUM}: apt-get update && apt-get install -y chromium (or set PARLEY_CHROMIUM)`,
    );
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * The usual set-up of a test file: a relay serving the web build and one browser, started before
 * the file's tests (handed to `use`) and stopped after them.
 */
export function withServerAndBrowser(use: (server: Server, browser: Browser) => void): void {
  let server: Server | undefined;
  let browser: Browser | undefined;
  before(async () => {
    server = await startServer({ webDir: await ensureWebBuild() });
    browser = await launchBrowser();
    use(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}

/** Problems a page reported: page errors, console errors, CSP violations. */
export interface PageProblems {
  readonly list: string[];
}

/** Watches a page for errors and CSP violations (in the page and its workers). */
export function watch(page: Page, allowed: readonly RegExp[] = []): PageProblems {
  const problems: PageProblems = { list: [] };
  const add = (what: string): void => {
    if (!allowed.some((a) => a.test(what))) problems.list.push(what);
  };
  page.on('pageerror', (e) => add(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') add(`console error: ${m.text()}`);
  });
  page.on('worker', (w) => {
    w.on('console', (m) => {
      if (m.type() === 'error') add(`worker console error: ${m.text()}`);
    });
  });
  return problems;
}

export interface User {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly problems: PageProblems;
}

/** A person with a browser profile of their own, on the relay's page. */
export async function openUser(
  browser: Browser,
  base: string,
  viewport = DESKTOP,
  allowed: readonly RegExp[] = [],
): Promise<User> {
  const context = await browser.newContext({ viewport, baseURL: base });
  const page = await context.newPage();
  const problems = watch(page, allowed);
  await page.goto('/');
  return { context, page, problems };
}

/** Another tab of the same profile. */
export async function openTab(
  user: User,
  allowed: readonly RegExp[] = [],
): Promise<{
  page: Page;
  problems: PageProblems;
}> {
  const page = await user.context.newPage();
  const problems = watch(page, allowed);
  await page.goto('/');
  return { page, problems };
}

/**
 * Asks the page's engine directly, over the engine protocol's BroadcastChannel (as any tab
 * does), for state a virtualised page does not show all at once.
 */
export async function engineRequest<K extends RequestName>(
  page: Page,
  type: K,
  params: Requests[K]['params'],
): Promise<Requests[K]['result']> {
  const result = await page.evaluate(
    async ({ type, params, channelName }) => {
      const engine = document.documentElement.dataset['engine'];
      if (engine === undefined) throw new Error('no engine yet');
      const channel = new BroadcastChannel(channelName);
      const tab = `test-${crypto.randomUUID()}`;
      try {
        return await new Promise<unknown>((resolve, reject) => {
          channel.onmessage = (
            e: MessageEvent<{
              kind: string;
              tab?: string;
              ok?: boolean;
              value?: unknown;
              error?: { code: string };
            }>,
          ) => {
            if (e.data.kind !== 'reply' || e.data.tab !== tab) return;
            if (e.data.ok === true) resolve(e.data.value);
            else reject(new Error(e.data.error?.code ?? 'failed'));
          };
          channel.postMessage({ kind: 'request', tab, engine, id: 1, request: { type, params } });
        });
      } finally {
        channel.close();
      }
    },
    { type, params, channelName: ENGINE_CHANNEL },
  );
  return result as Requests[K]['result'];
}

/** Every item of a conversation, oldest first, paging back through the engine. */
export async function wholeTimeline(page: Page, conv: string): Promise<TimelineItem[]> {
  const items: TimelineItem[] = [];
  let before: { at: number; id: string } | undefined;
  for (;;) {
    const pageItems = await engineRequest(page, 'timeline', {
      conv,
      limit: 200,
      ...(before !== undefined && { before }),
    });
    items.unshift(...pageItems);
    const first = pageItems[0];
    if (pageItems.length < 200 || first === undefined) return items;
    before = { at: first.at, id: first.id };
  }
}
