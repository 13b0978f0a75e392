// Registers the load benchmark's devices on a Parley relay over HTTP (one account each).
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { DeviceInfo } from './relay-adapters.js';

const CONCURRENCY = 64;

function post(
  agent: Agent,
  port: number,
  path: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
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

/** Registers `count` accounts with one device each; returns their credentials in order. */
export async function registerDevices(port: number, count: number): Promise<DeviceInfo[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const out: DeviceInfo[] = new Array<DeviceInfo>(count);
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const secret = randomBytes(32).toString('base64');
      const registrationId = 1 + (index % 16_000);
      const res = await post(
        agent,
        port,
        '/v1/accounts',
        JSON.stringify({
          username: `load_${String(index)}`,
          identityKey: randomBytes(33).toString('base64'),
          device: { secret, registrationId, identityKey: randomBytes(33).toString('base64') },
        }),
      );
      if (res.status !== 201) throw new Error(`register ${String(res.status)} ${res.body}`);
      const { accountId } = JSON.parse(res.body) as { accountId: string };
      out[index] = { index, accountId, registrationId, secret };
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, run));
  } finally {
    agent.destroy();
  }
  return out;
}
