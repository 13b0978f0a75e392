// The owner's side against a hostile log (a real log service into which the test writes versions
// the owner never made): its monitoring searches every version of its own labels created since
// its last check, so a malicious version is reported even when a benign one follows it, and a
// device-list rollback is reported; each failure is KT_MISMATCH and changes no KT state.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  accountKeyLabel,
  decodeDeviceListValue,
  deviceListLabel,
  encodeAccountKeyValue,
  encodeDeviceListValue,
  encodeUsernameValue,
  usernameLabel,
} from '@parley/keytrans';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KtMonitorReport } from '../src/client.js';
import { ClientError } from '../src/errors.js';
import { LiveConnection } from '../src/live.js';
import { nodeSocketFactory } from '../src/live.node.js';
import type { MemoryBackend } from '../src/storage.js';
import { KT_NAMESPACE } from '../src/transparency-store.js';
import { ktClient, startKtWorld, type KtWorld } from './transparency-harness.js';

let world: KtWorld;
before(async () => {
  world = await startKtWorld();
});
after(async () => {
  await world.close();
});

/**
 * What the owner's failed check would have committed: the verified values of its labels (the
 * contact monitoring that passed before it in the same run is kept).
 */
const ktState = (b: MemoryBackend) =>
  b
    .list(KT_NAMESPACE)
    .filter(([k]) => k.startsWith('verified:'))
    .map(([k, v]) => `${k}=${Buffer.from(v).toString('hex')}`);

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ClientError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** Writes `values` as the next versions of `label`, straight into the log (the hostile operator). */
async function insert(label: Uint8Array, values: (current: Uint8Array) => Uint8Array[]) {
  const log = world.log.log;
  const greatest = log.greatest(label);
  const current = log.labelVersion(label, greatest)?.value;
  assert.ok(current !== undefined);
  log.enqueue(label, greatest, values(current));
  await world.settle();
}

async function owner(name: string) {
  const o = ktClient(world.base);
  const account = await o.client.register(name);
  await world.settle();
  const first = await o.client.monitorKeyTransparency();
  assert.deepEqual(first.failed, []);
  return { ...o, accountId: account.accountId };
}

test('a malicious username mapping followed by the benign one: the owner is told (KT_MISMATCH)', async () => {
  const bob = await owner('own_bob');
  await insert(usernameLabel('own_bob'), (current) => [
    encodeUsernameValue('mallory-account'),
    current,
  ]);
  const before = ktState(bob.backend);
  await rejectsWith(bob.client.monitorKeyTransparency(), 'KT_MISMATCH');
  assert.deepEqual(ktState(bob.backend), before);
  // The log is not fixed by asking again.
  await rejectsWith(bob.client.monitorKeyTransparency(), 'KT_MISMATCH');
});

test("a malicious account key inserted into the log, then the owner's again: the owner is told", async () => {
  const carol = await owner('own_carol');
  await insert(accountKeyLabel(carol.accountId), (current) => [
    encodeAccountKeyValue({ epoch: 1, publicKey: Uint8Array.of(5, ...new Uint8Array(32).fill(9)) }),
    current,
  ]);
  const before = ktState(carol.backend);
  await rejectsWith(carol.client.monitorKeyTransparency(), 'KT_MISMATCH');
  assert.deepEqual(ktState(carol.backend), before);
});

test('device-list rollback in the log (an older list, then the current one): the owner is told', async () => {
  const dave = await owner('own_dave');
  await insert(deviceListLabel(dave.accountId), (current) => {
    const now = decodeDeviceListValue(current);
    return [encodeDeviceListValue({ version: now.version - 1, hash: new Uint8Array(32) }), current];
  });
  const before = ktState(dave.backend);
  await rejectsWith(dave.client.monitorKeyTransparency(), 'KT_MISMATCH');
  assert.deepEqual(ktState(dave.backend), before);
});

test('an honest log: versions the owner made itself pass its check', async () => {
  const erin = await owner('own_erin');
  await erin.client.changeAccountKey();
  await world.settle();
  const report = await erin.client.monitorKeyTransparency();
  assert.deepEqual(report.failed, []);
});

test("the live connection's monitoring timer reports a malicious version without being asked", async () => {
  const frank = await owner('own_frank');
  const outcomes: (KtMonitorReport | { readonly error: unknown })[] = [];
  const live = new LiveConnection({
    client: frank.client,
    baseUrl: world.base,
    socket: nodeSocketFactory,
    sleep,
    onEvent: () => undefined,
    ktMonitorMs: 150,
    onKtMonitor: (o) => outcomes.push(o),
  });
  live.start();
  try {
    while (outcomes.length === 0) await sleep(50);
    const first = outcomes[0];
    assert.ok(first !== undefined && 'failed' in first, 'an honest run gives a report');
    assert.deepEqual(first.failed, []);
    await insert(usernameLabel('own_frank'), (current) => [
      encodeUsernameValue('mallory-account'),
      current,
    ]);
    // A run may still pass before the entry holding the versions is sequenced; the next does not.
    const deadline = Date.now() + 20_000;
    while (!outcomes.some((o) => 'error' in o) && Date.now() < deadline) await sleep(50);
    const alert = outcomes.find((o) => 'error' in o);
    assert.ok(alert !== undefined && 'error' in alert, 'the timer reports the failure');
    assert.ok(alert.error instanceof ClientError);
    assert.equal(alert.error.code, 'KT_MISMATCH');
  } finally {
    live.stop();
    await live.settled();
  }
});
