/**
 * Profiling aid for the engine worker (not a test, not the benchmark): seeds a persistent
 * chromium profile and relay once (10,000 messages, kept as a copy, then the rest), then runs on
 * copies of them, so each run starts from the same store. `run` reloads the app, attaches
 * Chromium's CPU profiler to the engine worker over CDP, opens six conversations while the history
 * is indexed in the background, keeps a responsiveness probe going (a `status` request every
 * 20 ms and its round trip), and prints the opens, the probe's slow answers and the functions
 * with the most self and inclusive time (the profile is written next to the copy, to open in
 * DevTools). `PROFILE_START=1` profiles the worker from its first line until the list shows
 * instead; `PROFILE_SIZE=10k` runs on the 10,000-message copy.
 *
 *   node --import tsx --conditions=parley-source apps/web/test/profile-web.ts seed 100000 DIR
 *   node --import tsx --conditions=parley-source apps/web/test/profile-web.ts run DIR [seconds]
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { ENGINE_CHANNEL } from '../src/engine/protocol.js';
import { benchWebDir, indexedAt, loadList, MADE_UP_PEERS, openTimed, seed } from './bench-web.js';
import { register, send, startChat, message, UI_TIMEOUT_MS } from './flows.js';
import { CHROMIUM, CHROMIUM_ARGS, startServer } from './harness.js';

const PORT = 18931;
const [mode, a1, a2] = process.argv.slice(2);

async function context(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    baseURL: `http://127.0.0.1:${PORT}`,
  });
}

async function clearCode(ctx: BrowserContext): Promise<void> {
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', {
    origin: `http://127.0.0.1:${PORT}`,
    storageTypes: 'service_workers,cache_storage',
  });
  await cdp.detach();
  await page.close();
}

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

function summarise(p: Profile, windows: readonly (readonly [number, number])[]): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n: Node): string =>
    `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop() ?? ''}:${n.callFrame.lineNumber}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const inWin = new Map<string, number>();
  let t = p.startTime;
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const n = byId.get(p.samples[i] ?? -1);
    if (n === undefined) continue;
    const top = name(n);
    if (n.callFrame.functionName === '(idle)') continue;
    busy += dt;
    self.set(top, (self.get(top) ?? 0) + dt);
    const seen = new Set<string>();
    const win = windows.some(([s, e]) => t / 1000 >= s && t / 1000 <= e);
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const k = name(byId.get(id) as Node);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
      if (win) inWin.set(k, (inWin.get(k) ?? 0) + dt);
    }
  }
  const top = (m: Map<string, number>, n: number): void => {
    for (const [k, v] of [...m].sort((x, y) => y[1] - x[1]).slice(0, n))
      console.log(`${v.toFixed(0).padStart(8)} ms  ${k}`);
  };
  console.log(`busy ${busy.toFixed(0)} ms; self time:`);
  top(self, 30);
  console.log('inclusive:');
  top(total, 45);
  if (windows.length > 0) {
    console.log('inclusive, inside the slow probes:');
    top(inWin, 45);
  }
}

async function workerSession(ctx: BrowserContext, page: Page) {
  const cdp: CDPSession = await ctx.newCDPSession(page);
  const { targetInfos } = await cdp.send('Target.getTargets');
  console.log(targetInfos.map((t) => `${t.type} ${t.url}`).join('\n'));
  const target = targetInfos.find((t) => t.type === 'worker' && t.url.includes('worker.dom'));
  if (target === undefined) throw new Error('no worker target');
  const { sessionId } = await cdp.send('Target.attachToTarget', {
    targetId: target.targetId,
    flatten: false,
  });
  return targetCaller(cdp, () => sessionId);
}

/** Sends CDP commands to an attached target (the worker) and resolves with their results. */
function targetCaller(
  cdp: CDPSession,
  sessionId: () => string,
): (method: string, params?: object) => Promise<Record<string, unknown>> {
  let next = 1;
  return (method, params = {}) =>
    new Promise((resolve) => {
      const id = next++;
      const on = (e: { sessionId?: string; message: string }): void => {
        const m = JSON.parse(e.message) as { id?: number; result?: Record<string, unknown> };
        if (e.sessionId !== sessionId() || m.id !== id) return;
        cdp.off('Target.receivedMessageFromTarget', on);
        resolve(m.result ?? {});
      };
      cdp.on('Target.receivedMessageFromTarget', on);
      void cdp.send('Target.sendMessageToTarget', {
        sessionId: sessionId(),
        message: JSON.stringify({ id, method, params }),
      });
    });
}

const PROBE = (channelName: string): void => {
  const w = window as unknown as { probe: { t: number; rtt: number }[]; probing: boolean };
  w.probe = [];
  w.probing = true;
  const engine = document.documentElement.dataset['engine'];
  const channel = new BroadcastChannel(channelName);
  const tab = `probe-${crypto.randomUUID()}`;
  let id = 0;
  void (async () => {
    while (w.probing) {
      const mine = ++id;
      const start = performance.now();
      await new Promise<void>((resolve) => {
        channel.onmessage = (e: MessageEvent<{ kind: string; tab?: string; id?: number }>) => {
          if (e.data.kind === 'reply' && e.data.tab === tab && e.data.id === mine) resolve();
        };
        channel.postMessage({
          kind: 'request',
          tab,
          engine,
          id: mine,
          request: { type: 'status', params: {} },
        });
      });
      w.probe.push({ t: start, rtt: performance.now() - start });
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
};

if (mode === 'seed') {
  const n = Number(a1);
  const dir = a2 ?? '';
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'relay'), { recursive: true });
  const { dir: webDir } = await benchWebDir();
  const server = await startServer({ webDir, dataDir: join(dir, 'relay'), port: PORT });
  const alice = await context(join(dir, 'alice'));
  const bob = await context(join(dir, 'bob'));
  try {
    const ap = await alice.newPage();
    const bp = await bob.newPage();
    await ap.goto('/');
    await bp.goto('/');
    await register(ap, 'benchalice');
    await register(bp, 'benchbob');
    await startChat(ap, 'benchbob');
    await send(ap, 'hello from the bench');
    await message(ap, 'hello from the bench').waitFor({ timeout: UI_TIMEOUT_MS });
    await bob.close();
    let t = Date.now();
    await seed(alice, { count: Math.min(n, 10_000), peers: MADE_UP_PEERS, from: 0 });
    console.log(`seeded ${Math.min(n, 10_000)} in ${Date.now() - t} ms`);
    await alice.close();
    if (n > 10_000) {
      cpSync(join(dir, 'alice'), join(dir, 'alice-10k'), { recursive: true });
      cpSync(join(dir, 'relay'), join(dir, 'relay-10k'), { recursive: true });
      const again = await context(join(dir, 'alice'));
      t = Date.now();
      await seed(again, { count: n - 10_000, peers: 0, from: 10_000 });
      console.log(`seeded ${n} in ${Date.now() - t} ms`);
      await again.close();
    }
  } finally {
    await alice.close().catch(() => undefined);
    await server.stop();
  }
} else if (mode === 'run') {
  const dir = a1 ?? '';
  const seconds = Number(a2 ?? 20);
  const suffix = process.env['PROFILE_SIZE'] === '10k' ? '-10k' : '';
  const run = `${dir}-run`;
  rmSync(run, { recursive: true, force: true });
  cpSync(join(dir, `alice${suffix}`), join(run, 'alice'), { recursive: true });
  cpSync(join(dir, `relay${suffix}`), join(run, 'relay'), { recursive: true });
  const { dir: webDir } = await benchWebDir();
  const server = await startServer({ webDir, dataDir: join(run, 'relay'), port: PORT });
  const ctx = await context(join(run, 'alice'));
  try {
    await clearCode(ctx);
    // Once to pin the new code (service worker), then measured.
    const first = await loadList(ctx);
    console.log(`list (first, new code) ${first.ms.toFixed(0)} ms`);
    if (process.env['PROFILE_START'] === '1') {
      await startProfile(ctx, run);
      await ctx.close();
      await server.stop();
      process.exit(0);
    }
    const { page, ms } = await loadList(ctx);
    console.log(`list ${ms.toFixed(0)} ms`);
    const ask = await workerSession(ctx, page);
    await ask('Profiler.enable');
    await ask('Profiler.setSamplingInterval', { interval: 500 });
    await ask('Profiler.start');
    await page.evaluate(PROBE, ENGINE_CHANNEL);
    const opens: { shown: number; newest: number }[] = [];
    for (let i = 1; i <= 5; i++) opens.push(await openTimed(page, `bench-peer-${i}`));
    opens.push(await openTimed(page, 'benchbob'));
    console.log(
      `opens ${opens.map((o) => `${o.shown.toFixed(0)}/${o.newest.toFixed(0)}`).join(' ')} ms (shown/newest)`,
    );
    await page.waitForTimeout(seconds * 1000);
    const probe = await page.evaluate(() => {
      const w = window as unknown as { probe: { t: number; rtt: number }[]; probing: boolean };
      w.probing = false;
      return w.probe;
    });
    const { profile } = (await ask('Profiler.stop')) as unknown as { profile: Profile };
    writeFileSync(`${run}.cpuprofile`, JSON.stringify(profile));
    const rtts = probe.map((p) => p.rtt).sort((x, y) => x - y);
    const q = (f: number): number => rtts[Math.floor(f * (rtts.length - 1))] ?? NaN;
    console.log(
      `probe n=${rtts.length} p50 ${q(0.5).toFixed(1)} p95 ${q(0.95).toFixed(1)} max ${q(1).toFixed(0)} ms; slow (>200 ms): ${probe
        .filter((p) => p.rtt > 200)
        .map((p) => `${p.t.toFixed(0)}+${p.rtt.toFixed(0)}`)
        .join(' ')}`,
    );
    summarise(profile, []);
    if (process.env['WAIT_INDEXED'] === '1') console.log(`indexed at ${await indexedAt(page)}`);
  } finally {
    await ctx.close();
    await server.stop();
    rmSync(webDir, { recursive: true, force: true });
  }
}

/** Profiles the engine worker from its first line until the list shows. */
async function startProfile(ctx: BrowserContext, profileDir: string): Promise<void> {
  for (const p of ctx.pages()) await p.close();
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  let sessionId: string | undefined;
  const send = targetCaller(cdp, () => sessionId ?? '');
  const started = new Promise<void>((resolve) => {
    cdp.on('Target.attachedToTarget', (e) => {
      if (!e.targetInfo.url.includes('worker.dom')) return;
      sessionId = e.sessionId;
      void (async () => {
        await send('Profiler.enable');
        await send('Profiler.setSamplingInterval', { interval: 500 });
        await send('Profiler.start');
        await send('Runtime.runIfWaitingForDebugger');
        resolve();
      })();
    });
  });
  await cdp.send('Target.setAutoAttach', {
    autoAttach: true,
    waitForDebuggerOnStart: true,
    flatten: false,
  });
  await page.addInitScript({
    content: `new MutationObserver(function (_, o) {
      if (document.querySelector('nav[aria-label="Conversations"] .conversation-item') === null) return;
      window.listAt = performance.now(); o.disconnect();
    }).observe(document, { childList: true, subtree: true });`,
  });
  await page.goto('/');
  await started;
  await page.waitForFunction(() => (window as { listAt?: number }).listAt !== undefined, null, {
    timeout: 600_000,
  });
  console.log(
    `list ${await page.evaluate(() => (window as unknown as { listAt: number }).listAt)} ms`,
  );
  const { profile } = (await send('Profiler.stop')) as unknown as { profile: Profile };
  writeFileSync(join(profileDir, 'start.cpuprofile'), JSON.stringify(profile));
  summarise(profile, []);
}
