// Relay load generator: `npm run bench:relay -- [--devices N] [--seconds S] [--window W]
// [--idle-conns M] [--sync FULL|NORMAL] [--http] [--json]`. Starts a real relay process on 127.0.0.1
// (SQLite in a temporary directory, rate limits off), registers N devices, connects each over
// a WebSocket, then runs a closed loop of 200-byte sends between random pairs for S seconds:
// each message is counted once it was sent, stored (the send's 200), pushed to the recipient
// and acknowledged. Reports messages/s, p50/p99 latency (send start → pushed), the relay's and
// the generator's CPU, and the relay's memory per idle authenticated connection.
// Loopback only and bounded in devices, time and outstanding sends.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

/** One process holds about 19,000 sockets here (`ulimit -n` 20,000). */
const MAX_DEVICES = 18_000;
const MAX_SECONDS = 120;
const MAX_WINDOW = 4_096;
const MESSAGE_BYTES = 200;
const SETUP_CONCURRENCY = 64;
const HTTP_SOCKETS = 128;
const CLOCK_TICKS_PER_SECOND = 100;
/** The relay accepts at most 256 acknowledgements per frame (`MAX_ACKS_PER_REQUEST`). */
const MAX_ACKS_PER_FRAME = 256;

const args = process.argv.slice(2);
function arg(name: string, fallback: number, max: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0 || v > max)
    throw new Error(`${name} must be an integer in 1..${max}`);
  return v;
}
const devices = arg('--devices', 1_000, MAX_DEVICES);
const seconds = arg('--seconds', 10, MAX_SECONDS);
const window = arg('--window', 256, MAX_WINDOW);
const idleConnections = arg('--idle-conns', devices, MAX_DEVICES);
const sync = args.includes('--sync') ? (args[args.indexOf('--sync') + 1] ?? 'FULL') : 'FULL';
const json = args.includes('--json');
/** `--http`: send with `POST /v1/messages` instead of WebSocket `send` frames. */
const useHttp = args.includes('--http');

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../apps/server/src/main.ts', import.meta.url));
const agent = new Agent({ keepAlive: true, maxSockets: HTTP_SOCKETS });

interface Device {
  accountId: string;
  registrationId: number;
  secret: string;
  auth: string;
  ws?: WebSocket;
  acks: string[];
  /** Outstanding `send` frames by request id. */
  pending: Map<number, (ok: boolean) => void>;
}

let nextRequestId = 0;
/** Sends over the device's WebSocket; resolves with whether the relay stored it. */
function sendOverSocket(from: Device, request: unknown): Promise<boolean> {
  const requestId = nextRequestId++;
  return new Promise((resolve) => {
    from.pending.set(requestId, resolve);
    from.ws?.send(JSON.stringify({ type: 'send', requestId, request }));
  });
}

function post(
  port: number,
  path: string,
  body: unknown,
  auth?: string,
): Promise<{ status: number; body: string }> {
  const data = JSON.stringify(body);
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
          'content-length': Buffer.byteLength(data),
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
    req.end(data);
  });
}

async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++];
        if (item !== undefined) await fn(item);
      }
    }),
  );
}

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

/** `PARLEY_RELAY_PROFILE=DIR` writes a V8 CPU profile of the relay process into DIR. */
const profileDir = process.env['PARLEY_RELAY_PROFILE'];
const dir = mkdtempSync(join(tmpdir(), 'parley-load-'));
const relay = spawn(
  process.execPath,
  [
    ...(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
    '--import',
    'tsx',
    '--conditions=parley-source',
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

  const all: Device[] = [];
  await pool(
    Array.from({ length: Math.max(devices, idleConnections) }, (_, i) => i),
    SETUP_CONCURRENCY,
    async (i) => {
      const secret = randomBytes(32).toString('base64');
      const registrationId = 1 + (i % 16_000);
      const res = await post(port, '/v1/accounts', {
        username: `load_${i}`,
        identityKey: randomBytes(33).toString('base64'),
        device: { secret, registrationId, identityKey: randomBytes(33).toString('base64') },
      });
      if (res.status !== 201) throw new Error(`register ${res.status} ${res.body}`);
      const { accountId } = JSON.parse(res.body) as { accountId: string };
      all[i] = {
        acks: [],
        pending: new Map(),
        accountId,
        registrationId,
        secret,
        auth: `Basic ${Buffer.from(`${accountId}.1:${secret}`).toString('base64')}`,
      };
    },
  );

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let delivered = 0;
  let measuring = false;
  const beforeConnect = procStat(pid);
  await pool(all.slice(0, Math.max(devices, idleConnections)), SETUP_CONCURRENCY, async (d) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`, { perMessageDeflate: false });
    d.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => {
        ws.send(
          JSON.stringify({ type: 'auth', accountId: d.accountId, deviceId: 1, secret: d.secret }),
        );
      });
      ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString('utf8')) as {
          type: string;
          requestId?: number;
          message?: { guid: string; clientMessageId: string };
        };
        if (frame.type === 'ready') resolve();
        else if (frame.type === 'send-result' || frame.type === 'send-error') {
          const done = d.pending.get(frame.requestId ?? -1);
          d.pending.delete(frame.requestId ?? -1);
          done?.(frame.type === 'send-result');
        } else if (frame.type === 'message' && frame.message !== undefined) {
          // Acks for everything received in one turn of the event loop go in one frame.
          if (d.acks.push(frame.message.guid) === 1) {
            setImmediate(() => {
              ws.send(JSON.stringify({ type: 'ack', guids: d.acks.splice(0, MAX_ACKS_PER_FRAME) }));
            });
          }
          const t0 = sentAt.get(frame.message.clientMessageId);
          if (t0 !== undefined) {
            sentAt.delete(frame.message.clientMessageId);
            if (measuring) {
              latencies.push(performance.now() - t0);
              delivered++;
            }
          }
        }
      });
    });
  });
  await new Promise((r) => setTimeout(r, 500));
  const afterConnect = procStat(pid);
  const bytesPerConnection = (afterConnect.rssBytes - beforeConnect.rssBytes) / all.length;

  const payload = randomBytes(MESSAGE_BYTES).toString('base64');
  let counter = 0;
  let failures = 0;
  const deadline = performance.now() + seconds * 1000;
  const relayBefore = procStat(pid);
  const genBefore = process.cpuUsage();
  measuring = true;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (performance.now() < deadline) {
        const from = all[Math.floor(Math.random() * devices)];
        let to = all[Math.floor(Math.random() * devices)];
        while (to === from && devices > 1) to = all[Math.floor(Math.random() * devices)];
        if (from === undefined || to === undefined) continue;
        const id = `l${counter++}`;
        sentAt.set(id, performance.now());
        const request = {
          clientMessageId: id,
          destinations: [
            {
              accountId: to.accountId,
              deviceId: 1,
              registrationId: to.registrationId,
              type: 1,
              content: payload,
            },
          ],
        };
        const ok = useHttp
          ? (await post(port, '/v1/messages', request, from.auth)).status === 200
          : await sendOverSocket(from, request);
        if (!ok) failures++;
      }
    }),
  );
  const drainUntil = performance.now() + 5_000;
  while (sentAt.size > 0 && performance.now() < drainUntil)
    await new Promise((r) => setTimeout(r, 10));
  const elapsed = (performance.now() - started) / 1000;
  const relayAfter = procStat(pid);
  const gen = process.cpuUsage(genBefore);
  latencies.sort((a, b) => a - b);
  const result = {
    devices,
    seconds,
    window,
    sqliteSync: sync,
    sendsOver: useHttp ? 'http' : 'websocket',
    sent: counter,
    delivered,
    lost: sentAt.size,
    failures,
    messagesPerSecond: Math.round(delivered / elapsed),
    p50Ms: Number(percentile(latencies, 0.5).toFixed(2)),
    p99Ms: Number(percentile(latencies, 0.99).toFixed(2)),
    relayCpuPercent: Math.round(((relayAfter.cpuSeconds - relayBefore.cpuSeconds) / elapsed) * 100),
    relayCpuMicrosPerMessage: Math.round(
      ((relayAfter.cpuSeconds - relayBefore.cpuSeconds) * 1e6) / Math.max(1, delivered),
    ),
    generatorCpuPercent: Math.round(((gen.user + gen.system) / 1e6 / elapsed) * 100),
    idleConnections: all.length,
    relayBytesPerIdleConnection: Math.round(bytesPerConnection),
  };
  if (json) console.log(JSON.stringify(result, null, 2));
  else for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(28)} ${v}`);
  for (const d of all) d.ws?.terminate();
} finally {
  relay.kill('SIGTERM');
  await new Promise((r) => relay.once('exit', r));
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
}
