// Records written raw (a backup restored, a linked device's history) are indexed for expiry at
// import time: their disappearing messages are swept on time even on a store whose (empty)
// expiry index was already built, against the real relay (in process).
import { strictEqual } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ParleyClient } from '../src/client.js';
import { groupRecords } from '../src/group-records.js';
import { RelayHttp } from '../src/http.js';
import { MemoryBackend } from '../src/storage.js';
import { nodeFetch, primitives, startRelay, type TestRelay } from './harness.js';

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

const stores = new Map<ParleyClient, MemoryBackend>();
function clocked(clock: { now: number }): ParleyClient {
  const backend = new MemoryBackend();
  const c = new ParleyClient({
    backend,
    primitives,
    relay: new RelayHttp(relay.base, nodeFetch),
    now: () => clock.now,
  });
  stores.set(c, backend);
  return c;
}
const groupMessage = (c: ParleyClient, groupId: string, id: string) =>
  groupRecords.message(stores.get(c) ?? new MemoryBackend(), groupId, id);

test('restored and imported history: its disappearing messages (1:1 and group) expire on time', async () => {
  const clock = { now: Date.now() };
  const alice = clocked(clock);
  const bob = clocked(clock);
  await alice.register('eialice');
  await bob.register('eibob');
  const kept = await alice.send('eibob', 'kept');
  const { groupId } = await alice.createGroup('Brief', ['eibob']);
  await bob.receive();
  await alice.setDisappearingTimer({ username: 'eibob' }, 60);
  await alice.setDisappearingTimer({ group: groupId }, 60);
  const direct = await alice.send('eibob', 'gone in a minute');
  const grouped = await alice.sendToGroup(groupId, 'gone in a minute too');
  strictEqual(typeof alice.message(direct.messageId)?.expiresAt, 'number');

  // A fresh store that has swept once (its empty index is built), then restores.
  const { archive, recoveryKey } = alice.createBackup();
  const restored = clocked(clock);
  strictEqual(restored.sweepExpired().messages, 0);
  await restored.restoreBackup(archive, recoveryKey);

  // A new device that has swept once, then imports the primary's history when linked.
  const laptop = clocked(clock);
  strictEqual(laptop.sweepExpired().messages, 0);
  const pending = await laptop.startLink();
  await Promise.all([alice.approveLink(pending.code), pending.complete()]);
  strictEqual(pending.history()?.status, 'imported');

  for (const c of [restored, laptop]) {
    strictEqual(c.message(direct.messageId)?.text, 'gone in a minute');
    strictEqual(groupMessage(c, groupId, grouped.messageId)?.text, 'gone in a minute too');
    strictEqual(c.sweepExpired().messages, 0, 'nothing is due yet');
  }
  clock.now += 61_000;
  for (const c of [alice, restored, laptop]) {
    strictEqual(c.sweepExpired().messages, 2);
    strictEqual(c.message(direct.messageId), undefined);
    strictEqual(c.message(kept.messageId)?.text, 'kept');
    strictEqual(groupMessage(c, groupId, grouped.messageId), undefined);
  }
});
