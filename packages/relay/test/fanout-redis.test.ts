import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  createRedisFanOut,
  createRedisRateLimiters,
  deviceChannel,
  parseWireEvent,
  type FanOutEvent,
  type QueuedMessage,
} from '@parley/relay';
import { privateRedis, testRedisUrl } from '@parley/relay/testing';

const channel = (): string => deviceChannel(randomBytes(8).toString('hex'), 1);

interface Inbox {
  readonly events: FanOutEvent[];
  push(e: FanOutEvent): void;
  /** The next event to arrive (rejects after 2 s). */
  next(): Promise<FanOutEvent>;
}

function inbox(): Inbox {
  const events: FanOutEvent[] = [];
  let waiter: ((e: FanOutEvent) => void) | undefined;
  return {
    events,
    push: (e) => {
      events.push(e);
      const w = waiter;
      waiter = undefined;
      w?.(e);
    },
    next: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error('no event within 2 s'));
        }, 2_000);
        waiter = (e) => {
          clearTimeout(timer);
          resolve(e);
        };
      }),
  };
}

test('redis fan-out: an event published on node A reaches the subscriber on node B at once; A delivers locally once, without queued', async () => {
  const a = createRedisFanOut({ url: testRedisUrl(), nodeId: 'a' });
  const b = createRedisFanOut({ url: testRedisUrl(), nodeId: 'b' });
  try {
    await Promise.all([a.ready, b.ready]);
    const ch = channel();
    const onB = inbox();
    const onA: FanOutEvent[] = [];
    await b.subscribe(ch, (e) => {
      onB.push(e);
    });
    await a.subscribe(ch, (e) => onA.push(e));
    const started = performance.now();
    const arrived = onB.next();
    await a.publish(ch, { kind: 'messages', queued: [] });
    assert.deepEqual(onA, [{ kind: 'messages' }]);
    assert.deepEqual(await arrived, { kind: 'messages' });
    assert.ok(performance.now() - started < 500);
    // The connected event crosses nodes with its tie-breakers.
    const connected = onB.next();
    await a.publish(ch, { kind: 'connected', connectionId: 'c1', at: 5 });
    assert.deepEqual(await connected, { kind: 'connected', connectionId: 'c1', at: 5 });
    // A's own echo from Redis is ignored: A saw each event exactly once.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(onA.length, 2);
    assert.equal(onB.events.length, 2);
  } finally {
    await a.close();
    await b.close();
  }
});

const queuedAt = (ch: string, seq: number, bytes = 200): QueuedMessage => {
  const [, account = '', dev = '1'] = ch.split(':');
  return {
    recipientAccountId: account,
    recipientDeviceId: Number(dev),
    senderAccountId: 'sender',
    senderDeviceId: 2,
    clientMessageId: `c${String(seq)}`,
    type: 1,
    content: new Uint8Array(bytes).fill(seq),
    serverTimestamp: 1_000 + seq,
    seq,
    guid: `g${String(seq)}`,
  };
};

test('redis fan-out: messages are handed over (both nodes) only when their seq follows the highest delivered', async () => {
  const a = createRedisFanOut({ url: testRedisUrl(), nodeId: 'a' });
  const b = createRedisFanOut({ url: testRedisUrl(), nodeId: 'b' });
  try {
    await Promise.all([a.ready, b.ready]);
    const ch = channel();
    const onA = inbox();
    const onB = inbox();
    await a.subscribe(ch, (e) => {
      onA.push(e);
    });
    await b.subscribe(ch, (e) => {
      onB.push(e);
    });
    const step = async (
      from: typeof a,
      seqs: number[],
      handed: boolean,
      bytes?: number,
      handedRemotely = handed,
    ): Promise<void> => {
      const queued = seqs.map((s) => queuedAt(ch, s, bytes));
      const arrivedA = from === a ? undefined : onA.next();
      const arrivedB = from === b ? undefined : onB.next();
      await from.publish(ch, { kind: 'messages', queued });
      const expected = (h: boolean): FanOutEvent =>
        h ? { kind: 'messages', queued } : { kind: 'messages' };
      assert.deepEqual(
        arrivedA === undefined ? onA.events.at(-1) : await arrivedA,
        expected(from === a ? handed : handedRemotely),
      );
      assert.deepEqual(
        arrivedB === undefined ? onB.events.at(-1) : await arrivedB,
        expected(from === b ? handed : handedRemotely),
      );
    };
    await step(a, [1], false); // nothing delivered before on the channel: read the queue
    await step(a, [2], true);
    await step(b, [3, 4], true); // from the other node, contiguous
    await step(b, [6], false); // 5 was not seen: read the queue
    await step(a, [5], false); // late: below the highest
    await step(a, [7], true);
    // Too large to carry: node b hands it to its own subscriber, node a gets its seq only.
    await step(b, [8], true, 9_000, false);
    await step(a, [9], true);
    assert.equal(a.stats.handedOver + b.stats.handedOver, 2 * 5 + 1);
  } finally {
    await a.close();
    await b.close();
  }
});

test('redis fan-out: with the queue head read at subscription, the next message is handed over at once', async () => {
  const heads: string[] = [];
  const a = createRedisFanOut({
    url: testRedisUrl(),
    queueHead: (accountId, deviceId) => {
      heads.push(`${accountId}/${String(deviceId)}`);
      return Promise.resolve(41);
    },
  });
  try {
    await a.ready;
    const ch = channel();
    const got: FanOutEvent[] = [];
    await a.subscribe(ch, (e) => got.push(e));
    assert.deepEqual(heads, [ch.slice(2).replace(/:(\d+)$/, '/$1')]);
    const next = [queuedAt(ch, 42)];
    await a.publish(ch, { kind: 'messages', queued: next });
    await a.publish(ch, { kind: 'messages', queued: [queuedAt(ch, 44)] });
    assert.deepEqual(got, [{ kind: 'messages', queued: next }, { kind: 'messages' }]);
  } finally {
    await a.close();
  }
});

test('redis fan-out: after unsubscribing, a node gets nothing more', async () => {
  const a = createRedisFanOut({ url: testRedisUrl() });
  const b = createRedisFanOut({ url: testRedisUrl() });
  try {
    await Promise.all([a.ready, b.ready]);
    const ch = channel();
    const got: FanOutEvent[] = [];
    const stop = await b.subscribe(ch, (e) => got.push(e));
    await stop();
    await a.publish(ch, { kind: 'keys-low' });
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(got, []);
  } finally {
    await a.close();
    await b.close();
  }
});

test('redis fan-out: parseWireEvent never throws and accepts only well-formed events', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 2_000 }), (text) => {
      const parsed = parseWireEvent(text);
      if (parsed !== undefined) {
        assert.ok(
          ['messages', 'keys-low', 'device-removed', 'connected'].includes(parsed.event.kind),
        );
      }
    }),
  );
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      parseWireEvent(JSON.stringify({ n: 'x', e: value }));
    }),
  );
  assert.equal(
    parseWireEvent('{"n":"x","e":{"kind":"connected","connectionId":1,"at":2}}'),
    undefined,
  );
  assert.equal(parseWireEvent('{"n":"x","e":{"kind":"bogus"}}'), undefined);
  assert.deepEqual(parseWireEvent('{"n":"x","e":{"kind":"messages","queued":[1]}}'), {
    node: 'x',
    event: { kind: 'messages' },
  });
  // A malformed hand-over is dropped (the wake-up and its seqs kept); bad seqs drop both.
  assert.deepEqual(parseWireEvent('{"n":"x","e":{"kind":"messages","s":[3],"h":[{"ra":1}]}}'), {
    node: 'x',
    event: { kind: 'messages', s: [3] },
  });
  assert.deepEqual(parseWireEvent('{"n":"x","e":{"kind":"messages","s":[3,3]}}'), {
    node: 'x',
    event: { kind: 'messages' },
  });
});

test('redis rate limits: two nodes share one bucket per key', async () => {
  const bucket = { perSecond: 0.001, burst: 3 };
  const limits = { ip: bucket, account: bucket, sealedIp: bucket, sealedToken: bucket };
  const a = createRedisRateLimiters(testRedisUrl(), limits, Date.now);
  const b = createRedisRateLimiters(testRedisUrl(), limits, Date.now);
  try {
    // Until its connection is up a limiter fails open: wait for both (a fixed 100 ms was not
    // always enough on a loaded machine).
    await Promise.all([a.ready(), b.ready()]);
    const key = randomBytes(8).toString('hex');
    const results = [
      await a.ip.take(key),
      await b.ip.take(key),
      await a.ip.take(key),
      await b.ip.take(key),
    ];
    assert.deepEqual(
      results.map((r) => r.ok),
      [true, true, true, false],
    );
    assert.ok((results[3]?.retryAfterSeconds ?? 0) >= 1);
    // Scopes are separate buckets.
    assert.equal((await b.account.take(key)).ok, true);
    assert.equal((await b.sealedIp.take(key)).ok, true);
    assert.equal((await a.sealedToken.take(key)).ok, true);
  } finally {
    await a.close();
    await b.close();
  }
});

test('redis fan-out: Redis killed and restarted; publishes are dropped meanwhile, then subscribers get a wake-up and delivery resumes', async () => {
  const redis = await privateRedis();
  await redis.start();
  const a = createRedisFanOut({ url: redis.url, nodeId: 'a' });
  const b = createRedisFanOut({ url: redis.url, nodeId: 'b' });
  try {
    await Promise.all([a.ready, b.ready]);
    const ch = channel();
    const onB = inbox();
    await b.subscribe(ch, (e) => {
      onB.push(e);
    });
    await redis.kill();
    await new Promise((r) => setTimeout(r, 100));
    await a.publish(ch, { kind: 'messages' }); // lost with Redis: must not throw
    assert.ok(a.stats.dropped >= 1);
    const wake = onB.next();
    await redis.start();
    // The resubscribed node wakes its connections (they re-read their queues).
    assert.deepEqual(await wake, { kind: 'messages' });
    assert.equal(b.stats.reconnects, 1);
    // Live again once A's publisher is back.
    await new Promise((r) => setTimeout(r, 300));
    const next = onB.next();
    await a.publish(ch, { kind: 'keys-low' });
    assert.deepEqual(await next, { kind: 'keys-low' });
  } finally {
    await a.close();
    await b.close();
    await redis.kill();
  }
});

test('redis fan-out: a node drops only its own echo, not the events of a node whose id starts with its own', async () => {
  const a = createRedisFanOut({ url: testRedisUrl(), nodeId: 'a' });
  const ab = createRedisFanOut({ url: testRedisUrl(), nodeId: 'ab' });
  try {
    await Promise.all([a.ready, ab.ready]);
    const ch = channel();
    const onA = inbox();
    await a.subscribe(ch, (e) => {
      onA.push(e);
    });
    await ab.subscribe(ch, () => undefined);
    const arrived = onA.next();
    await ab.publish(ch, { kind: 'connected', connectionId: 'c9', at: 7 });
    assert.deepEqual(await arrived, { kind: 'connected', connectionId: 'c9', at: 7 });
    await a.publish(ch, { kind: 'keys-low' });
    await new Promise((r) => setTimeout(r, 100));
    // A saw ab's event and its own once (delivered locally, its echo dropped).
    assert.deepEqual(onA.events, [
      { kind: 'connected', connectionId: 'c9', at: 7 },
      { kind: 'keys-low' },
    ]);
    assert.equal(a.stats.received, 1);
  } finally {
    await a.close();
    await ab.close();
  }
});
