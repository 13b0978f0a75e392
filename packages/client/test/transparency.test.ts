// Key transparency in the SDK against a real log behind a real relay: every key a send uses is
// checked against the log; a hostile relay serving keys outside the log, freezing a contact at
// an old key and device list, or withholding the log's answers is refused with a specific code,
// and the client's state does not change.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClientError } from '../src/errors.js';
import type { FetchLike } from '../src/http.js';
import { KT_REVERIFY_MS, KT_MONITOR_ALLOWANCE_RMW } from '../src/transparency.js';
import { KT_NAMESPACE } from '../src/transparency-store.js';
import { relayKtTransport, type BinaryFetch } from '../src/transparency-transport.js';
import type { MemoryBackend } from '../src/storage.js';
import { nodeFetch } from './harness.js';
import { RMW_MS, ktClient, startKtWorld, type KtWorld } from './transparency-harness.js';

let world: KtWorld;
before(async () => {
  world = await startKtWorld();
});
after(async () => {
  await world.close();
});

/** A relay that rewrites some answers (JSON text) on their way to the client. */
function rewriting(rule: (url: string, text: string) => string | undefined): FetchLike {
  return async (url, init) => {
    const r = await nodeFetch(url, init);
    const text = await r.text();
    const replaced = r.status === 200 ? rule(url, text) : undefined;
    return { status: r.status, text: () => Promise.resolve(replaced ?? text) };
  };
}

const snapshot = (b: MemoryBackend) =>
  ['keytrans', 'contacts', 'outbox', 'messages'].map((ns) =>
    b.list(ns).map(([k, v]) => `${ns}/${k}=${Buffer.from(v).toString('hex')}`),
  );

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ClientError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

test('a send verifies the username, account key and device list against the log', async () => {
  const alice = ktClient(world.base);
  const bob = ktClient(world.base);
  await alice.client.register('kt_alice');
  await bob.client.register('kt_bob');
  await world.settle();
  await alice.client.send('kt_bob', 'hello through the log');
  const got = await bob.client.receive();
  assert.deepEqual(
    got.flatMap((e) => (e.type === 'message' ? [e.message.text] : [])),
    ['hello through the log'],
  );
  assert.equal(alice.client.contactTransparency('kt_bob'), 'verified');
  const status = alice.client.keyTransparencyStatus();
  assert.equal(status.enabled, true);
  assert.equal(status.mode, 'contact monitoring');
  assert.ok((status.treeSize ?? 0) > 1);
  const verified = alice.backend.list(KT_NAMESPACE).filter(([k]) => k.startsWith('verified:'));
  assert.equal(verified.length, 3, 'username, account key and device list of kt-bob');
  // The owner's check of its own labels, and contact monitoring, both pass on an honest log.
  const report = await bob.client.monitorKeyTransparency();
  assert.deepEqual(report.failed, []);
});

test('hostile relay: a key substituted outside the log is refused (KT_MISMATCH), nothing stored', async () => {
  const alice = ktClient(world.base);
  await alice.client.register('sub_alice');
  const bob = ktClient(world.base);
  await bob.client.register('sub_bob');
  const fake = Buffer.from(Uint8Array.of(5, ...new Uint8Array(32).fill(7))).toString('base64');
  let substitute = false;
  const carol = ktClient(world.base, {
    fetchFn: rewriting((url, text) => {
      if (!substitute || !url.includes('/v1/accounts/by-username/sub_bob')) return undefined;
      return JSON.stringify({ ...(JSON.parse(text) as object), identityKey: fake });
    }),
  });
  await carol.client.register('sub_carol');
  await world.settle();
  await carol.client.send('sub_alice', 'an honest send first');
  const before = snapshot(carol.backend);
  substitute = true;
  await rejectsWith(carol.client.send('sub_bob', 'to a ghost'), 'KT_MISMATCH');
  assert.deepEqual(snapshot(carol.backend), before, 'no contact, no message, no KT state');
  // The same relay re-pointing the username at another account is refused the same way.
  const alicesId = alice.client.account?.accountId ?? '';
  const alicesKey = alice.client.account?.accountKey ?? '';
  const dave = ktClient(world.base, {
    fetchFn: rewriting((url) =>
      url.includes('/v1/accounts/by-username/sub_bob')
        ? JSON.stringify({ accountId: alicesId, username: 'sub_bob', identityKey: alicesKey })
        : undefined,
    ),
  });
  await dave.client.register('sub_dave');
  await world.settle();
  await dave.client.send('sub_alice', 'pins the log');
  const daveBefore = snapshot(dave.backend);
  await rejectsWith(dave.client.send('sub_bob', 'to alice, really'), 'KT_MISMATCH');
  assert.deepEqual(snapshot(dave.backend), daveBefore);
});

test('hostile relay: a contact frozen at an old key and device list is refused once re-verified', async () => {
  let clock = Date.now();
  const state: { frozen?: { byName: string; list: string } } = {};
  const seen: { byName?: string; list?: string } = {};
  const alice = ktClient(world.base, {
    now: () => clock,
    fetchFn: rewriting((url, text) => {
      const isName = url.includes('/v1/accounts/by-username/frz_bob');
      const isList = url.endsWith('/device-list') && url.includes(seen.list ?? '\u0000');
      const frozen = state.frozen;
      if (frozen === undefined) {
        if (isName) seen.byName = text;
        return undefined;
      }
      if (isName) return frozen.byName;
      if (isList) return frozen.list;
      return undefined;
    }),
  });
  const bob = ktClient(world.base);
  await alice.client.register('frz_alice');
  await bob.client.register('frz_bob');
  await world.settle();
  await alice.client.send('frz_bob', 'before the change');
  const bobId = bob.client.account?.accountId ?? '';
  seen.list = `/v1/accounts/${bobId}/device-list`;
  const oldList = await (
    await nodeFetch(`${world.base}${seen.list}`, {
      method: 'GET',
      headers: {
        authorization: `Basic ${Buffer.from(`${bobId}.1:${bob.client.credentials().secret}`).toString('base64')}`,
      },
    })
  ).text();
  await bob.client.changeAccountKey();
  await world.settle();
  state.frozen = { byName: seen.byName ?? '', list: oldList };
  // Within KT_REVERIFY_MS the served value matches what was verified: no search is made.
  clock += KT_REVERIFY_MS + 1;
  const before = snapshot(alice.backend);
  await rejectsWith(alice.client.send('frz_bob', 'to the old key'), 'KT_MISMATCH');
  assert.deepEqual(snapshot(alice.backend), before);
});

test('hostile relay: withheld log answers stop sending (KT_UNAVAILABLE) and monitoring reports "cannot verify"', async () => {
  let clock = Date.now();
  let withhold = false;
  const alice = ktClient(world.base, {
    now: () => clock,
    transport: (inner) => ({
      config: (auth) => inner.config(auth),
      query: (auth, op, body, what) => {
        if (withhold) return Promise.reject(new ClientError('KT_UNAVAILABLE', `withheld: ${what}`));
        return inner.query(auth, op, body, what);
      },
    }),
  });
  const bob = ktClient(world.base);
  const erin = ktClient(world.base);
  // Only versions right of the log's rightmost distinguished entry are monitored. With every
  // timestamp inside one RMW that entry is the implicit tree's root, 2^k − 1 for sizes 2^k to
  // 2^(k+1) − 1, so whether the versions below land right of it depended on how many entries
  // the earlier tests made. Filling the log to a power of two puts them right of it always.
  while ((world.log.log.size & (world.log.log.size - 1)) !== 0) world.log.sequence();
  await alice.client.register('wh_alice');
  await bob.client.register('wh_bob');
  await erin.client.register('wh_erin');
  await world.settle();
  await alice.client.send('wh_bob', 'monitored from now on');
  assert.equal(alice.client.contactTransparency('wh_bob'), 'verified');
  const monitored = alice.client.keyTransparencyStatus().monitored;
  assert.ok(monitored > 0, 'labels newer than the last distinguished entry are monitored');

  withhold = true;
  const before = snapshot(alice.backend);
  await rejectsWith(alice.client.send('wh_erin', 'unverifiable'), 'KT_UNAVAILABLE');
  assert.deepEqual(snapshot(alice.backend), before, 'nothing sent or stored for wh-erin');

  clock += KT_MONITOR_ALLOWANCE_RMW * RMW_MS + 1;
  const report = await alice.client.monitorKeyTransparency().catch((e: unknown) => e);
  // The owner check after monitoring needs the log too: withheld, it fails as well.
  assert.ok(report instanceof ClientError && report.code === 'KT_UNAVAILABLE');
  assert.equal(alice.client.contactTransparency('wh_bob'), 'cannot verify');
  const status = alice.client.keyTransparencyStatus();
  assert.ok(status.overdue.length > 0);
  assert.ok((status.lastRun?.failed.length ?? 0) > 0, 'the failures are recorded, not success');
});

test('a log that fails monitoring: the report and the error carry what it answered (its code, the HTTP status)', async () => {
  let clock = Date.now();
  let failing = false;
  // The relay's answer when its log failed with EXPIRED (what `routes/keytrans.ts` sends).
  const logFailure = JSON.stringify({
    error: {
      code: 'KT_UNAVAILABLE',
      message: 'the key transparency log did not answer',
      details: { code: 'EXPIRED' },
    },
  });
  const fetchFn: BinaryFetch = async (url, init) => {
    if (failing && url.endsWith('/v1/kt/contact-monitor'))
      return { status: 503, arrayBuffer: () => new Response(logFailure).arrayBuffer() };
    return fetch(url, init);
  };
  const alice = ktClient(world.base, {
    now: () => clock,
    transport: () => relayKtTransport(world.base, fetchFn),
  });
  const bob = ktClient(world.base);
  while ((world.log.log.size & (world.log.log.size - 1)) !== 0) world.log.sequence();
  await alice.client.register('why_alice');
  await bob.client.register('why_bob');
  await world.settle();
  await alice.client.send('why_bob', 'monitored from now on');
  assert.ok(alice.client.keyTransparencyStatus().monitored > 0);

  failing = true;
  clock += KT_MONITOR_ALLOWANCE_RMW * RMW_MS + 1;
  const report = await alice.client.monitorKeyTransparency();
  assert.ok(report.failed.length > 0, 'the failures are reported');
  for (const f of report.failed) {
    assert.equal(f.code, 'KT_UNAVAILABLE');
    assert.equal(f.answer, 'HTTP 503 KT_UNAVAILABLE (EXPIRED)');
  }
  const lastRun = alice.client.keyTransparencyStatus().lastRun;
  assert.ok(
    lastRun?.failed.every((f) => f.endsWith('KT_UNAVAILABLE [HTTP 503 KT_UNAVAILABLE (EXPIRED)]')),
  );
  assert.equal(alice.client.contactTransparency('why_bob'), 'cannot verify');

  // The same answer to a query that a send needs: the error says it too.
  const direct = relayKtTransport(world.base, fetchFn);
  const e = await direct
    .query(
      { accountId: 'a', deviceId: 1, secret: 's' },
      'contact-monitor',
      new Uint8Array(),
      'account key of someone',
    )
    .catch((x: unknown) => x);
  assert.ok(e instanceof ClientError && e.code === 'KT_UNAVAILABLE');
  assert.deepEqual(e.answer, { status: 503, code: 'KT_UNAVAILABLE', detail: 'EXPIRED' });
  assert.match(e.message, /HTTP 503 KT_UNAVAILABLE \(EXPIRED\)/);
});
