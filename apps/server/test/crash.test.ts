import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { call, drain, registerDevice, sendBody, type Device } from './client.js';
import { startServer, stopServer, type ServerProcess } from './server-process.js';

const KILLS = 8;
/** Acknowledged sends to wait for in each round before the kill (so every round has traffic). */
const MIN_ACKS_PER_ROUND = 8;
/** The longest a round waits for them. */
const MAX_ROUND_MS = 20_000;
const SENDERS = 4;
const SEED = Number(process.env['PARLEY_CRASH_SEED'] ?? Date.now() % 100_000);

/** mulberry32: a seeded generator so a failing run can be replayed with PARLEY_CRASH_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

test(
  `crash: SIGKILL at random moments under a stream of sends; every acknowledged message is delivered exactly once (seed ${SEED})`,
  { timeout: 120_000 },
  async () => {
    const random = rng(SEED);
    const dir = mkdtempSync(join(tmpdir(), 'parley-crash-'));
    const args = ['--data-dir', dir, '--no-rate-limit', '--log-level', 'warn'];
    let server: ServerProcess = await startServer(args);
    try {
      const alice = await registerDevice(server.base, 'alice');
      const bob: Device = await registerDevice(server.base, 'bob');
      const acked = new Set<string>();
      const attempted = new Set<string>();
      const retry: string[] = [];
      let next = 0;
      let killsDuringSend = 0;

      const sendOne = async (base: string, id: string): Promise<boolean> => {
        attempted.add(id);
        try {
          const res = await call(
            base,
            'POST',
            '/v1/messages',
            alice.auth,
            sendBody(bob, id, Buffer.from(id)),
          );
          if (res.status === 200) {
            acked.add(id);
            return true;
          }
          retry.push(id);
          return false;
        } catch {
          retry.push(id);
          return false;
        }
      };

      for (let kill = 0; kill < KILLS; kill++) {
        let stop = false;
        const base = server.base;
        let inFlight = 0;
        const workers = Array.from({ length: SENDERS }, async () => {
          while (!stop) {
            const id = retry.shift() ?? `m-${next++}`;
            inFlight++;
            const ok = await sendOne(base, id);
            inFlight--;
            if (!ok) break;
          }
        });
        // A few acknowledged sends each round, however loaded the machine, then a random moment.
        const target = acked.size + MIN_ACKS_PER_ROUND;
        for (let waited = 0; acked.size < target && waited < MAX_ROUND_MS; waited += 20)
          await sleep(20);
        await sleep(random() * 400);
        if (inFlight > 0) killsDuringSend++;
        server.child.kill('SIGKILL');
        await server.exited;
        stop = true;
        await Promise.all(workers);
        server = await startServer(args);
      }
      // The outbox retries what was not acknowledged, with the same ids, until it is.
      while (retry.length > 0) {
        const id = retry.shift() ?? '';
        assert.equal(await sendOne(server.base, id), true, `retry of ${id}`);
      }
      assert.ok(acked.size > 50, `enough traffic (${acked.size} acknowledged)`);
      assert.ok(killsDuringSend > 0, 'at least one kill landed while sends were in flight');
      const delivered = (await drain(server.base, bob)).map((m) => m.clientMessageId);
      const counts = new Map<string, number>();
      for (const id of delivered) counts.set(id, (counts.get(id) ?? 0) + 1);
      for (const id of acked) assert.equal(counts.get(id), 1, `${id} delivered exactly once`);
      for (const id of delivered) assert.ok(attempted.has(id), `${id} was sent`);
      assert.equal(delivered.length, acked.size);
    } finally {
      await stopServer(server, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
