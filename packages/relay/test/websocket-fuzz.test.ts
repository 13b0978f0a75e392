// Fuzzing the relay with delivery protocol 2 frames: random bytes, and real frames truncated,
// extended, with a byte changed or their counts inflated, sent on authenticated connections.
// Each either is a valid frame (and the connection stays open) or closes the socket with
// BAD_FRAME (1009 when over the size limit); the relay never crashes, and every queued message
// of the fuzzing device that no valid ack covered is still there afterwards, and another
// device's queue is untouched. `FUZZ_RUNS=2000 npm test -- packages/relay/test/websocket-fuzz`
// runs longer.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import {
  FRAME,
  WS_CLOSE,
  decodeClientFrame,
  encodeAck,
  encodeAuth,
  encodePing,
  encodeSends,
  limits,
} from '@parley/api';
import { openSqliteStorage } from '@parley/relay';
import { newRelay, register, send, type TestDevice } from './support.js';
import { WsClient, sleep } from './ws-support.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 60);
const QUEUED = 20;

let app: FastifyInstance;
let base: string;
let alice: TestDevice;
let bob: TestDevice;

before(async () => {
  app = await newRelay({
    storage: openSqliteStorage({ dataDir: mkdtempSync(join(tmpdir(), 'parley-fuzz-')) }),
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  alice = await register(app, 'alice');
  bob = await register(app, 'bob');
  for (let i = 0; i < QUEUED; i++) {
    await send(app, bob, [alice], `to-alice-${String(i)}`);
    await send(app, alice, [bob], `to-bob-${String(i)}`);
  }
});
after(async () => {
  await app.close();
});

async function queue(d: TestDevice): Promise<string[]> {
  const res = await app.inject({
    method: 'GET',
    url: '/v1/messages',
    headers: { authorization: d.auth },
  });
  return res
    .json<{ messages: { clientMessageId: string }[] }>()
    .messages.map((m) => m.clientMessageId);
}

/** Real frames of every kind a client sends, as seeds for mutation. */
function seeds(device: TestDevice): Uint8Array[] {
  return [
    encodeAuth(device.accountId, 1, Buffer.from(device.secret, 'base64')),
    encodeAck(3),
    encodePing(),
    encodeSends([
      {
        requestId: 1,
        clientMessageId: 'fuzz',
        destinations: [
          {
            accountId: bob.accountId,
            deviceId: 1,
            registrationId: bob.registrationId,
            type: 1,
            content: Uint8Array.of(1, 2, 3),
          },
        ],
      },
    ]),
  ];
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({
    kind: fc.constant('mutate' as const),
    seed: fc.nat(3),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
    how: fc.constantFrom('truncate', 'extend', 'change', 'count'),
  }),
  fc.constant({ kind: 'oversized' as const }),
  fc.constant({ kind: 'text' as const }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function build(m: Mutation): Uint8Array | string {
  switch (m.kind) {
    case 'random':
      return m.bytes;
    case 'oversized':
      return new Uint8Array(limits.MAX_CLIENT_FRAME_BYTES + 1).fill(FRAME.SEND);
    case 'text':
      return '{"type":"ack","guids":["x"]}';
    case 'mutate': {
      const seed = seeds(alice)[m.seed] ?? encodePing();
      const i = m.at % seed.length;
      if (m.how === 'truncate') return seed.subarray(0, i);
      if (m.how === 'extend') return Uint8Array.of(...seed, m.value);
      const changed = seed.slice();
      if (m.how === 'count' && seed[0] === FRAME.SEND) {
        changed[1] = 0xff;
        changed[2] = m.value;
      } else changed[i] = m.value;
      return changed;
    }
  }
}

function isValid(frame: Uint8Array | string): boolean {
  if (typeof frame === 'string') return false;
  try {
    decodeClientFrame(frame);
    return true;
  } catch {
    return false;
  }
}

test('fuzz: malformed, truncated, oversized and mistyped frames close the socket; nothing is lost', async () => {
  let closed = 0;
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      const frame = build(m);
      const before = await queue(alice);
      const c = await WsClient.connect(base, alice);
      await c.until(() => c.frames.some((f) => f.kind === 'queue-empty'), 'queue-empty');
      c.sendBytes(frame);
      if (!isValid(frame)) {
        await c.until(() => c.closeCode !== undefined, 'close');
        assert.ok(
          c.closeCode === WS_CLOSE.BAD_FRAME ||
            c.closeCode === WS_CLOSE.UNAUTHORIZED ||
            c.closeCode === 1009,
          `closed with ${String(c.closeCode)} (${c.closeReason})`,
        );
        closed++;
        assert.deepEqual(await queue(alice), before, 'a refused frame changes nothing');
      } else {
        await sleep(5);
        await c.close();
      }
    }),
    { numRuns: RUNS },
  );
  assert.ok(closed > RUNS / 4, `most inputs were refused (${String(closed)})`);
  // The relay is alive and nothing queued was lost: every message to alice is either still
  // queued or was covered by a valid cumulative ack; bob's queue is untouched.
  const toBob = await queue(bob);
  assert.deepEqual(
    toBob.filter((id) => id.startsWith('to-bob-')),
    Array.from({ length: QUEUED }, (_, i) => `to-bob-${String(i)}`),
  );
  const health = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(health.statusCode, 200);
  const a = await WsClient.connect(base, alice);
  await a.until(() => a.frames.some((f) => f.kind === 'queue-empty'), 'queue-empty');
  const left = a.messages.map((m) => m.clientMessageId);
  const expected = Array.from({ length: QUEUED }, (_, i) => `to-alice-${String(i)}`);
  assert.deepEqual(left, expected.slice(expected.length - left.length), 'a suffix of the queue');
  await a.close();
});
