/**
 * Scale-out, end to end: two real relay processes sharing PostgreSQL and Redis. Run by
 * `npm run test:scale` (PARLEY_TEST_DATABASE_URL and PARLEY_TEST_REDIS_URL default to the local
 * servers; every run uses a throwaway database, and the failure tests private instances).
 */
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import {
  createThrowawayDatabase,
  privateRedis,
  testRedisUrl,
  type ThrowawayDatabase,
} from '@parley/relay/testing';
import { registerDevice } from './client.js';
import { privatePostgres } from './private-postgres.js';
import { Peer, assertExactlyOnce, idsUntil, waitFor } from './scale-peer.js';
import { startServer, stopServer, type ServerProcess } from './server-process.js';

const NODE_ARGS = ['--no-rate-limit', '--log-level', 'error', '--web-dir', 'off'];

let db: ThrowawayDatabase | undefined;
before(async () => {
  db = await createThrowawayDatabase();
});
after(async () => {
  await db?.drop();
});

/**
 * Starts two nodes on the database and Redis, one after the other (the first migrates); `t`
 * SIGKILLs whatever is still running when the test ends, however it ends.
 */
async function twoNodes(
  t: TestContext,
  databaseUrl: string,
  redisUrl: string,
): Promise<[ServerProcess, ServerProcess]> {
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl };
  const started: ServerProcess[] = [];
  t.after(async () => {
    await Promise.all(started.map((s) => stopServer(s, 'SIGKILL')));
  });
  for (let i = 0; i < 2; i++) started.push(await startServer(NODE_ARGS, env));
  return [started[0] as ServerProcess, started[1] as ServerProcess];
}

/** Usernames are unique per run (the tests share one database). */
let users = 0;
const user = (name: string): string => `${name}${String(++users)}`;

const ids = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i)}`);

test('two nodes: clients on different nodes converse; a push crosses nodes at once', async (t) => {
  if (db === undefined) throw new Error('no database');
  const [a, b] = await twoNodes(t, db.url, testRedisUrl());
  const alice = new Peer(await registerDevice(a.base, user('alice')), () => [a.base]);
  const bob = new Peer(await registerDevice(b.base, user('bob')), () => [b.base]);
  try {
    await Promise.all([alice.connection(), bob.connection()]);
    assert.deepEqual([alice.connections, bob.connections], [[a.base], [b.base]]);
    const acked = new Set<string>();
    const sent = performance.now();
    await alice.send(bob.device, 'hi-bob');
    acked.add('hi-bob');
    await waitFor(() => bob.received.has('hi-bob'), 2_000, 'bob to receive on node B');
    const latency = (bob.arrivedAt.get('hi-bob') ?? Infinity) - sent;
    assert.ok(latency < 1_000, `push took ${String(latency)} ms`);
    await bob.send(alice.device, 'hi-alice');
    await waitFor(() => alice.received.has('hi-alice'), 2_000, 'alice to receive on node A');
    // A conversation both ways, interleaved.
    const fromAlice = ids('a', 50);
    const fromBob = ids('b', 50);
    const ackedByBob = new Set<string>();
    await Promise.all([
      alice.stream(bob.device, fromAlice, 4, acked),
      bob.stream(alice.device, fromBob, 4, ackedByBob),
    ]);
    await waitFor(
      () => bob.received.size === 51 && alice.received.size === 51,
      5_000,
      'both sides to receive everything',
    );
    assertExactlyOnce(bob, acked);
    ackedByBob.add('hi-alice');
    assertExactlyOnce(alice, ackedByBob);
  } finally {
    alice.close();
    bob.close();
    await Promise.all([stopServer(a), stopServer(b)]);
  }
});

test('two nodes: one SIGKILLed mid-stream loses no acknowledged message; clients move to the other, everything exactly once', async (t) => {
  if (db === undefined) throw new Error('no database');
  const [a, b] = await twoNodes(t, db.url, testRedisUrl());
  let aAlive = true;
  const live =
    (preferred: string): (() => string[]) =>
    () =>
      [preferred, a.base, b.base].filter(
        (x, i, all) => all.indexOf(x) === i && (aAlive || x !== a.base),
      );
  const alice = new Peer(await registerDevice(a.base, user('alice')), live(a.base));
  const bob = new Peer(await registerDevice(b.base, user('bob')), live(b.base));
  const carol = new Peer(await registerDevice(a.base, user('carol')), live(a.base));
  try {
    await Promise.all([alice.connection(), bob.connection(), carol.connection()]);
    const toBob = ids('m', 300);
    const toCarol = ids('c', 100);
    const acked = new Set<string>();
    const ackedCarol = new Set<string>();
    const streams = Promise.all([
      alice.stream(bob.device, toBob, 8, acked),
      bob.stream(carol.device, toCarol, 4, ackedCarol),
    ]);
    await waitFor(() => acked.size >= 60, 20_000, 'traffic before the kill');
    a.child.kill('SIGKILL');
    await a.exited;
    aAlive = false;
    await streams;
    await waitFor(
      () => bob.received.size === toBob.length && carol.received.size === toCarol.length,
      20_000,
      'everything to arrive after the kill',
    ).catch((error: unknown) => {
      const missing = (p: Peer, all: readonly string[]): string[] =>
        all.filter((id) => !p.received.has(id));
      console.log('bob missing', missing(bob, toBob), 'carol missing', missing(carol, toCarol));
      console.log('connections', alice.connections, bob.connections, carol.connections);
      throw error;
    });
    assertExactlyOnce(bob, acked);
    assertExactlyOnce(carol, ackedCarol);
    assert.equal(acked.size, toBob.length);
    // Alice and carol were on A: they reconnected to B.
    assert.equal(alice.connections.at(-1), b.base);
    assert.equal(carol.connections.at(-1), b.base);
  } finally {
    alice.close();
    bob.close();
    carol.close();
    await Promise.all([stopServer(a, 'SIGKILL'), stopServer(b)]);
  }
});

test('two nodes: Redis killed and restarted mid-stream; delivery resumes, nothing lost', async (t) => {
  if (db === undefined) throw new Error('no database');
  const redis = await privateRedis();
  t.after(() => redis.kill());
  await redis.start();
  const [a, b] = await twoNodes(t, db.url, redis.url);
  const alice = new Peer(await registerDevice(a.base, user('alice')), () => [a.base]);
  const bob = new Peer(await registerDevice(b.base, user('bob')), () => [b.base]);
  try {
    await Promise.all([alice.connection(), bob.connection()]);
    const acked = new Set<string>();
    let stopAt = Infinity;
    const all = idsUntil('r', () => acked.size >= stopAt);
    const stream = alice.stream(bob.device, all.next, 2, acked);
    await waitFor(() => bob.received.size >= 30, 20_000, 'traffic before Redis goes');
    await redis.kill();
    // Sends keep succeeding (PostgreSQL holds the messages); only wake-ups are lost.
    const ackedBefore = acked.size;
    await waitFor(() => acked.size >= ackedBefore + 20, 20_000, 'sends while Redis is down');
    await redis.start();
    stopAt = acked.size + 30;
    await stream;
    await waitFor(() => bob.received.size === all.produced.length, 20_000, 'delivery to resume');
    assertExactlyOnce(bob, acked);
  } finally {
    alice.close();
    bob.close();
    await Promise.all([stopServer(a), stopServer(b)]);
  }
});

test('two nodes: PostgreSQL stopped mid-stream; sends fail with the retryable UNAVAILABLE, nothing acknowledged is lost', async (t) => {
  const pg = await privatePostgres();
  t.after(() => {
    pg.destroy();
  });
  pg.start();
  const [a, b] = await twoNodes(t, pg.url, testRedisUrl());
  const alice = new Peer(await registerDevice(a.base, user('alice')), () => [a.base]);
  const bob = new Peer(await registerDevice(b.base, user('bob')), () => [b.base]);
  try {
    await Promise.all([alice.connection(), bob.connection()]);
    const acked = new Set<string>();
    let stopAt = Infinity;
    const all = idsUntil('p', () => acked.size >= stopAt);
    const stream = alice.stream(bob.device, all.next, 4, acked);
    await waitFor(() => acked.size >= 30, 20_000, 'traffic before PostgreSQL goes');
    pg.stop();
    await waitFor(() => alice.errors.length >= 3, 20_000, 'sends to fail').catch(
      (error: unknown) => {
        console.log('node A:', a.output().slice(-3_000), 'connections', alice.connections.length);
        throw error;
      },
    );
    const ackedWhileDown = acked.size;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(acked.size, ackedWhileDown, 'no send is acknowledged while the database is down');
    pg.start();
    stopAt = acked.size + 30;
    await stream;
    await waitFor(
      () => bob.received.size === all.produced.length,
      30_000,
      'delivery after PostgreSQL is back',
    );
    assertExactlyOnce(bob, acked);
    assert.deepEqual([...new Set(alice.errors)], ['UNAVAILABLE']);
  } finally {
    alice.close();
    bob.close();
    await Promise.all([stopServer(a), stopServer(b)]);
  }
});
