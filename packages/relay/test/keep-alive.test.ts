import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { HTTP_KEEP_ALIVE_TIMEOUT_MS } from '../src/limits.js';
import { newRelay } from './support.js';

/** Longer than Node's default server keep-alive (5 s), which closed connections under clients. */
const PAUSE_MS = 5_500;

function get(
  url: URL,
  agent: Agent,
): Promise<{ status: number; keepAlive: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          keepAlive: String(res.headers['keep-alive']),
          socket: req.socket as Socket,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test('an idle keep-alive connection outlives a client pause of several seconds', async () => {
  const app = await newRelay();
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const url = new URL('/v1/devices', base);
    const first = await get(url, agent);
    assert.equal(first.status, 401);
    assert.equal(first.keepAlive, `timeout=${HTTP_KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    await sleep(PAUSE_MS);
    const second = await get(url, agent);
    assert.equal(second.status, 401);
    assert.equal(second.socket, first.socket, 'the second request reuses the idle connection');
  } finally {
    agent.destroy();
    await app.close();
  }
});
