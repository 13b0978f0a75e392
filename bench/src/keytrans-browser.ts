/**
 * Search verification in headless chromium (a row of `npm run bench -- keytrans`): the verifier
 * (`keytrans-browser-page.ts`: `@parley/keytrans` over `@parley/primitives-noble`, as the web
 * client's engine runs it) is bundled with the Vite the web client builds with, loaded into
 * Debian's chromium through playwright-core, and times a fresh client's decode + verify of one
 * Search response many times in the page. Before timing, the page checks the response verifies
 * and that a flipped byte is refused. The same bundle's code runs in Node in the same run, for
 * comparison (same primitives, other engine).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { timeVerification, type VerifyInput } from './keytrans-browser-page.js';

/** Debian's chromium (as the web client's tests use), or `PARLEY_CHROMIUM`. */
const CHROMIUM = process.env['PARLEY_CHROMIUM'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
];
/** Untimed verifications first (the JIT's warm-up), then the timed ones. */
const WARMUP = 20;

export interface BrowserVerifyResult {
  readonly browser: string;
  readonly chromium: Percentiles;
  readonly node: Percentiles;
}

export interface Percentiles {
  /** The first verification (cold: compiling, the log's VRF key decoded and tabled). */
  readonly first: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  /** Medians of the parts. */
  readonly decode: number;
  readonly verify: number;
}

const quantile = (values: readonly number[], q: number): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

function percentiles(r: ReturnType<typeof timeVerification>): Percentiles {
  const timings = r.timings;
  const total = timings.map((t) => t.decodeMs + t.verifyMs);
  return {
    first: r.first,
    min: Math.min(...total),
    p50: quantile(total, 0.5),
    p95: quantile(total, 0.95),
    decode: quantile(
      timings.map((t) => t.decodeMs),
      0.5,
    ),
    verify: quantile(
      timings.map((t) => t.verifyMs),
      0.5,
    ),
  };
}

/** The page's bundle (an IIFE defining `globalThis.ktVerify`), built in memory. */
async function bundle(): Promise<string> {
  const { build } = await import('vite');
  const entry = fileURLToPath(new URL('keytrans-browser-page.ts', import.meta.url));
  const out = await build({
    configFile: false,
    logLevel: 'warn',
    resolve: { conditions: ['parley-source', 'browser', 'module', 'import', 'default'] },
    build: {
      target: 'es2022',
      write: false,
      reportCompressedSize: false,
      lib: { entry, formats: ['iife'], name: 'ktVerify', fileName: 'kt-verify' },
    },
  });
  const outputs = Array.isArray(out) ? out : [out];
  for (const o of outputs) {
    if (!('output' in o)) continue;
    for (const chunk of o.output) if (chunk.type === 'chunk') return chunk.code;
  }
  throw new Error('vite produced no chunk');
}

/**
 * Times `runs` verifications of `input` in chromium and in Node; throws if the response does
 * not verify or a flipped byte is not refused (in either).
 */
export async function verifyInChromium(
  input: VerifyInput,
  runs: number,
): Promise<BrowserVerifyResult> {
  if (!existsSync(CHROMIUM))
    throw new Error(`chromium is not installed at ${CHROMIUM} (apt-get install chromium)`);
  // A byte of the log's signature near the start and the response's last byte (a proof hash).
  const flips = [Math.floor(input.response.length / 2), input.response.length - 1];
  const code = await bundle();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage();
    await page.goto('about:blank');
    await page.addScriptTag({ content: code });
    const plain = {
      config: [...input.config],
      response: [...input.response],
      label: [...input.label],
      now: input.now,
    };
    const inPage = await page.evaluate(
      ({ plain, runs, warmup, flips }) => {
        const g = globalThis as unknown as {
          ktVerify: { timeVerification: typeof timeVerification };
        };
        return g.ktVerify.timeVerification(
          {
            config: Uint8Array.from(plain.config),
            response: Uint8Array.from(plain.response),
            label: Uint8Array.from(plain.label),
            now: plain.now,
          },
          runs,
          warmup,
          flips,
        );
      },
      { plain, runs, warmup: WARMUP, flips },
    );
    check('chromium', inPage);
    const inNode = timeVerification(input, runs, WARMUP, flips);
    check('node', inNode);
    return {
      browser: `chromium ${browser.version()}`,
      chromium: percentiles(inPage),
      node: percentiles(inNode),
    };
  } finally {
    await browser.close();
  }
}

function check(where: string, r: ReturnType<typeof timeVerification>): void {
  if (r.refused.some((x) => !x)) throw new Error(`${where}: a flipped byte verified`);
  if (r.timings.some((t) => t.version !== 0)) throw new Error(`${where}: not version 0`);
}
