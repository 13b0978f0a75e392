// Relay load generator: `npm run bench:relay -- [--devices N] [--seconds S] [--window W]
// [--workers K] [--idle-conns M] [--sync FULL|NORMAL] [--http] [--dist] [--json]`. Starts a real relay
// process on 127.0.0.1 (SQLite in a temporary directory, rate limits off), registers N devices,
// then K worker processes connect them over WebSockets (each its share) and run a closed loop of
// 200-byte sends between random pairs for S seconds, W sends outstanding in all: each message
// is counted once it was sent, stored (its `send-result`), pushed to the recipient (possibly
// in another worker) and acknowledged. Reports messages/s, p50/p99 latency (send start → pushed,
// on one machine clock), the relay's and the generator's CPU (all workers) separately, and the
// relay's memory per idle authenticated connection. Loopback only; bounded in devices, workers,
// time and outstanding sends.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

/** The relay holds at most 18,000 WebSockets (`MAX_CONNECTIONS`; `ulimit -n` is 20,000 here). */
const MAX_DEVICES = 18_000;
const MAX_SECONDS = 120;
const MAX_WINDOW = 8_192;
/** Each worker is one process with its own event loop; more than the cores only adds switching. */
const MAX_WORKERS = 8;
const MESSAGE_BYTES = 200;
const SETUP_CONCURRENCY = 64;
const HTTP_SOCKETS = 128;
const CLOCK_TICKS_PER_SECOND = 100;
/** The relay accepts at most 256 acknowledgements per frame (`MAX_ACKS_PER_REQUEST`). */
const MAX_ACKS_PER_FRAME = 256;
/** How long the parent waits for sent messages to arrive after the sending stops. */
const DRAIN_MS = 5_000;
/** How long a worker may take to connect its share before the run is abandoned. */
const CONNECT_TIMEOUT_MS = 120_000;

interface DeviceCredentials {
  readonly accountId: string;
  readonly registrationId: number;
  readonly secret: string;
}

/** Parent → worker. */
type Command =
  | {
      readonly kind: 'setup';
      readonly port: number;
      readonly worker: number;
      /** Every active device (recipients are drawn from all of them). */
      readonly active: readonly DeviceCredentials[];
      /** This worker's connections: indices `[from, to)` of `active` followed by idle ones. */
      readonly from: number;
      readonly to: number;
      readonly idle: readonly DeviceCredentials[];
      readonly window: number;
      readonly http: boolean;
    }
  | { readonly kind: 'start'; readonly startMicros: number; readonly deadlineMicros: number }
  | { readonly kind: 'count' }
  | { readonly kind: 'report' }
  | { readonly kind: 'exit' };

/** Worker → parent. */
type Reply =
  | { readonly kind: 'connected' }
  | { readonly kind: 'sent'; readonly sent: number; readonly ok: number; readonly failed: number }
  | { readonly kind: 'count'; readonly delivered: number }
  | {
      readonly kind: 'report';
      readonly delivered: number;
      readonly lastDeliveryMicros: number;
      readonly latenciesMs: number[];
    };

/** Wall-clock microseconds, comparable between processes on this machine. */
function nowMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

function post(
  agent: Agent,
  port: number,
  path: string,
  body: string,
  auth?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(auth === undefined ? {} : { authorization: auth }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        const item = items[i];
        if (item !== undefined) await fn(item, i);
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Worker: holds a share of the connections and of the send window.

const ZERO_MASK = (mask: Buffer): void => {
  // The relay does not rely on masking (loopback, no proxies); a zero mask skips the XOR.
  mask.fill(0);
};

const MESSAGE_PREFIX = '{"type":"message",';
const RESULT_PREFIX = '{"type":"send-result",';
const ERROR_PREFIX = '{"type":"send-error",';

/** The string value after `key` (which ends with the opening quote) in `text`. */
function field(text: string, key: string): string {
  const at = text.indexOf(key) + key.length;
  return text.slice(at, text.indexOf('"', at));
}

interface Connection {
  readonly creds: DeviceCredentials;
  readonly auth: string;
  ws?: WebSocket;
  acks: string[];
  /** Outstanding `send` frames by request id. */
  readonly pending: Map<number, (ok: boolean) => void>;
}

function runWorker(): void {
  let setup: Extract<Command, { kind: 'setup' }> | undefined;
  const connections: Connection[] = [];
  let delivered = 0;
  let lastDeliveryMicros = 0;
  let startMicros = Infinity;
  const latenciesMs: number[] = [];
  const reply = (r: Reply): void => {
    process.send?.(r);
  };

  const connect = async (c: Connection, port: number): Promise<void> => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      generateMask: ZERO_MASK,
    });
    c.ws = ws;
    const flushAcks = (): void => {
      ws.send(`{"type":"ack","guids":${JSON.stringify(c.acks.splice(0, MAX_ACKS_PER_FRAME))}}`);
      if (c.acks.length > 0) setImmediate(flushAcks);
    };
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => {
        const { accountId, secret } = c.creds;
        ws.send(JSON.stringify({ type: 'auth', accountId, deviceId: 1, secret }));
      });
      ws.on('message', (data: Buffer) => {
        // The relay's frames are JSON with a fixed key order and ids without escapes, so the
        // hot ones are read with indexOf instead of a full parse (the generator's CPU counts).
        const text = data.toString('utf8');
        if (text.startsWith(MESSAGE_PREFIX)) {
          const guid = field(text, '"guid":"');
          // Acks for everything received in one turn of the event loop go in one frame.
          if (c.acks.push(guid) === 1) setImmediate(flushAcks);
          const id = field(text, '"clientMessageId":"');
          const sentAt = Number(id.slice(id.lastIndexOf('.') + 1));
          if (sentAt >= startMicros) {
            const now = nowMicros();
            latenciesMs.push((now - sentAt) / 1000);
            delivered++;
            lastDeliveryMicros = now;
          }
        } else if (text.startsWith(RESULT_PREFIX) || text.startsWith(ERROR_PREFIX)) {
          const at = text.indexOf('"requestId":') + '"requestId":'.length;
          const requestId = Number.parseInt(text.slice(at, text.indexOf(',', at)), 10);
          const done = c.pending.get(requestId);
          c.pending.delete(requestId);
          done?.(text.startsWith(RESULT_PREFIX));
        } else if ((JSON.parse(text) as { type: string }).type === 'ready') resolve();
      });
    });
  };

  const run = async (start: number, deadlineMicros: number): Promise<void> => {
    if (setup === undefined) throw new Error('run before setup');
    const { active, from, to, window, http, worker, port } = setup;
    const agent = new Agent({ keepAlive: true, maxSockets: HTTP_SOCKETS });
    const payload = randomBytes(MESSAGE_BYTES).toString('base64');
    const senders = connections.slice(0, to - from);
    let counter = 0;
    let nextRequestId = 0;
    let ok = 0;
    let failed = 0;
    startMicros = start;
    await Promise.all(
      Array.from({ length: window }, async () => {
        while (nowMicros() < deadlineMicros && senders.length > 0) {
          const s = Math.floor(Math.random() * senders.length);
          const sender = senders[s];
          const self = from + s;
          let r = Math.floor(Math.random() * active.length);
          while (r === self && active.length > 1) r = Math.floor(Math.random() * active.length);
          const to = active[r];
          if (sender === undefined || to === undefined) continue;
          const id = `${worker}.${counter++}.${Math.round(nowMicros())}`;
          const body = `{"clientMessageId":"${id}","destinations":[{"accountId":"${to.accountId}","deviceId":1,"registrationId":${to.registrationId},"type":1,"content":"${payload}"}]}`;
          let stored: boolean;
          if (http) {
            stored = (await post(agent, port, '/v1/messages', body, sender.auth)).status === 200;
          } else {
            const requestId = nextRequestId++;
            stored = await new Promise<boolean>((resolve) => {
              sender.pending.set(requestId, resolve);
              sender.ws?.send(`{"type":"send","requestId":${requestId},"request":${body}}`);
            });
          }
          if (stored) ok++;
          else failed++;
        }
      }),
    );
    agent.destroy();
    reply({ kind: 'sent', sent: counter, ok, failed });
  };

  process.on('message', (command: Command) => {
    switch (command.kind) {
      case 'setup': {
        setup = command;
        const shares = [...command.active.slice(command.from, command.to), ...command.idle];
        for (const creds of shares) {
          connections.push({
            creds,
            auth: `Basic ${Buffer.from(`${creds.accountId}.1:${creds.secret}`).toString('base64')}`,
            acks: [],
            pending: new Map(),
          });
        }
        pool(connections, SETUP_CONCURRENCY, (c) => connect(c, command.port)).then(
          () => {
            reply({ kind: 'connected' });
          },
          (error: unknown) => {
            console.error('worker: connect failed', error);
            process.exit(1);
          },
        );
        return;
      }
      case 'start':
        run(command.startMicros, command.deadlineMicros).catch((error: unknown) => {
          console.error('worker: run failed', error);
          process.exit(1);
        });
        return;
      case 'count':
        reply({ kind: 'count', delivered });
        return;
      case 'report':
        reply({ kind: 'report', delivered, lastDeliveryMicros, latenciesMs });
        return;
      case 'exit':
        for (const c of connections) c.ws?.terminate();
        process.disconnect();
        return;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Parent: relay, registration, workers, results.

function procStat(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, rssBytes: rssKb * 1024 };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/** Sends a command to every worker and collects one reply of `kind` from each. */
function ask<K extends Reply['kind']>(
  workers: readonly ChildProcess[],
  command: Command,
  kind: K,
  timeoutMs = 60_000,
): Promise<Extract<Reply, { kind: K }>[]> {
  return Promise.all(
    workers.map(
      (w) =>
        new Promise<Extract<Reply, { kind: K }>>((resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error(`worker did not answer ${command.kind}`));
          }, timeoutMs);
          const onMessage = (r: Reply): void => {
            if (r.kind !== kind) return;
            clearTimeout(timer);
            w.off('message', onMessage);
            resolve(r as Extract<Reply, { kind: K }>);
          };
          w.on('message', onMessage);
          w.send(command);
        }),
    ),
  );
}

async function runParent(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: number, max: number): number => {
    const i = args.indexOf(name);
    const v = i >= 0 ? Number(args[i + 1]) : fallback;
    if (!Number.isInteger(v) || v <= 0 || v > max)
      throw new Error(`${name} must be an integer in 1..${max}`);
    return v;
  };
  const devices = arg('--devices', 1_000, MAX_DEVICES);
  const seconds = arg('--seconds', 10, MAX_SECONDS);
  const window = arg('--window', 256, MAX_WINDOW);
  const workerCount = Math.min(arg('--workers', 2, MAX_WORKERS), devices);
  const idleConnections = arg('--idle-conns', devices, MAX_DEVICES);
  const sync = args.includes('--sync') ? (args[args.indexOf('--sync') + 1] ?? 'FULL') : 'FULL';
  const json = args.includes('--json');
  /** `--http`: send with `POST /v1/messages` instead of WebSocket `send` frames. */
  const useHttp = args.includes('--http');
  /** `--dist`: run the compiled relay (`npm run build` first), as `npm start` does. */
  const useDist = args.includes('--dist');

  const ROOT = fileURLToPath(new URL('../../', import.meta.url));
  const MAIN = fileURLToPath(
    new URL(`../../apps/server/${useDist ? 'dist/main.js' : 'src/main.ts'}`, import.meta.url),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: HTTP_SOCKETS });
  /** `PARLEY_RELAY_PROFILE=DIR` writes a V8 CPU profile of the relay process into DIR. */
  const profileDir = process.env['PARLEY_RELAY_PROFILE'];
  const dir = mkdtempSync(join(tmpdir(), 'parley-load-'));
  const relay = spawn(
    process.execPath,
    [
      ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
      ...(useDist ? [] : ['--import', 'tsx', '--conditions=parley-source']),
      MAIN,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      dir,
      '--no-rate-limit',
      '--log-level',
      'warn',
      '--sqlite-sync',
      sync,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const pid = relay.pid ?? 0;
  const workers: ChildProcess[] = [];
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      relay.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m?.[1] !== undefined) resolve(Number(m[1]));
      });
      relay.on('exit', () => {
        reject(new Error(`relay exited: ${out}`));
      });
    });

    const total = Math.max(devices, idleConnections);
    const all: DeviceCredentials[] = [];
    await pool(
      Array.from({ length: total }, (_, i) => i),
      SETUP_CONCURRENCY,
      async (i) => {
        const secret = randomBytes(32).toString('base64');
        const registrationId = 1 + (i % 16_000);
        const res = await post(
          agent,
          port,
          '/v1/accounts',
          JSON.stringify({
            username: `load_${i}`,
            identityKey: randomBytes(33).toString('base64'),
            device: { secret, registrationId, identityKey: randomBytes(33).toString('base64') },
          }),
        );
        if (res.status !== 201) throw new Error(`register ${res.status} ${res.body}`);
        const { accountId } = JSON.parse(res.body) as { accountId: string };
        all[i] = { accountId, registrationId, secret };
      },
    );
    agent.destroy();
    const active = all.slice(0, devices);
    const idle = all.slice(devices);

    const beforeConnect = procStat(pid);
    const self = fileURLToPath(import.meta.url);
    for (let w = 0; w < workerCount; w++) {
      workers.push(
        fork(self, ['--worker'], {
          execArgv: process.execArgv,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
    }
    const share = (n: number, w: number): [number, number] => [
      Math.floor((n * w) / workerCount),
      Math.floor((n * (w + 1)) / workerCount),
    ];
    await Promise.all(
      workers.map(async (worker, w) => {
        const [from, to] = share(devices, w);
        const [idleFrom, idleTo] = share(idle.length, w);
        const [windowFrom, windowTo] = share(window, w);
        await ask(
          [worker],
          {
            kind: 'setup',
            port,
            worker: w,
            active,
            from,
            to,
            idle: idle.slice(idleFrom, idleTo),
            window: Math.max(1, windowTo - windowFrom),
            http: useHttp,
          },
          'connected',
          CONNECT_TIMEOUT_MS,
        );
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    const afterConnect = procStat(pid);
    const bytesPerConnection = (afterConnect.rssBytes - beforeConnect.rssBytes) / total;

    const relayBefore = procStat(pid);
    const workersBefore = workers.map((w) => procStat(w.pid ?? 0).cpuSeconds);
    const startMicros = nowMicros();
    const sentReplies = await ask(
      workers,
      { kind: 'start', startMicros, deadlineMicros: startMicros + seconds * 1e6 },
      'sent',
      (seconds + 60) * 1000,
    );
    const sent = sentReplies.reduce((s, r) => s + r.sent, 0);
    const ok = sentReplies.reduce((s, r) => s + r.ok, 0);
    const failures = sentReplies.reduce((s, r) => s + r.failed, 0);
    const drainUntil = performance.now() + DRAIN_MS;
    for (;;) {
      const counts = await ask(workers, { kind: 'count' }, 'count');
      if (counts.reduce((s, r) => s + r.delivered, 0) >= ok || performance.now() > drainUntil)
        break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const relayAfter = procStat(pid);
    const workersAfter = workers.map((w) => procStat(w.pid ?? 0).cpuSeconds);
    const elapsedAll = (nowMicros() - startMicros) / 1e6;
    const reports = await ask(workers, { kind: 'report' }, 'report');
    const delivered = reports.reduce((s, r) => s + r.delivered, 0);
    const lastDelivery = Math.max(...reports.map((r) => r.lastDeliveryMicros));
    const elapsed = (lastDelivery - startMicros) / 1e6;
    const latencies = reports.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
    const generatorCpuSeconds = workersAfter.reduce(
      (s, v, i) => s + v - (workersBefore[i] ?? 0),
      0,
    );
    const relayCpuSeconds = relayAfter.cpuSeconds - relayBefore.cpuSeconds;
    const result = {
      devices,
      seconds,
      window,
      workers: workerCount,
      sqliteSync: sync,
      sendsOver: useHttp ? 'http' : 'websocket',
      sent,
      delivered,
      lost: ok - delivered,
      failures,
      messagesPerSecond: Math.round(delivered / elapsed),
      p50Ms: Number(percentile(latencies, 0.5).toFixed(2)),
      p99Ms: Number(percentile(latencies, 0.99).toFixed(2)),
      relayCpuPercent: Math.round((relayCpuSeconds / elapsedAll) * 100),
      relayCpuMicrosPerMessage: Math.round((relayCpuSeconds * 1e6) / Math.max(1, delivered)),
      generatorCpuPercent: Math.round((generatorCpuSeconds / elapsedAll) * 100),
      generatorCpuMicrosPerMessage: Math.round(
        (generatorCpuSeconds * 1e6) / Math.max(1, delivered),
      ),
      idleConnections: total,
      relayBytesPerIdleConnection: Math.round(bytesPerConnection),
    };
    if (json) console.log(JSON.stringify(result, null, 2));
    else for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(30)} ${v}`);
  } finally {
    for (const w of workers) if (w.connected) w.send({ kind: 'exit' } satisfies Command);
    await Promise.all(
      workers.map((w) =>
        w.exitCode === null && w.signalCode === null
          ? new Promise((r) => w.once('exit', r))
          : Promise.resolve(),
      ),
    );
    relay.kill('SIGTERM');
    await new Promise((r) => relay.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--worker')) runWorker();
else await runParent();
