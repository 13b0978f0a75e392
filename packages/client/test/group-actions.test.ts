// Group replies, reactions, edits and deletes, typing indicators and disappearing timers through
// the SDK against the real relay (in process): every device of every member ends with the same
// record; a member editing or deleting someone else's message is refused and changes nothing.
import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ClientEvent, ParleyClient } from '../src/client.js';
import { ClientError } from '../src/errors.js';
import { groupRecords } from '../src/group-records.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, primitives, startRelay, type TestRelay } from './harness.js';
import { ParleyClient as Client } from '../src/client.js';
import { RelayHttp } from '../src/http.js';

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

/** A client whose clock the test moves. */
function clocked(clock: { now: number }, backend = new MemoryBackend()): ParleyClient {
  return new Client({
    backend,
    primitives,
    relay: new RelayHttp(relay.base, nodeFetch),
    now: () => clock.now,
  });
}

async function linked(primary: ParleyClient, clock: { now: number }): Promise<ParleyClient> {
  const laptop = clocked(clock);
  const pending = await laptop.startLink();
  await Promise.all([primary.approveLink(pending.code), pending.complete()]);
  return laptop;
}

const updates = (events: readonly ClientEvent[]) =>
  events.flatMap((e) => (e.type === 'group-message-updated' ? [`${e.by} ${e.action}`] : []));

test('group replies, reactions, edits and deletes look the same on every device; hostile edits refused', async () => {
  const clock = { now: Date.now() };
  const alice = clocked(clock);
  const bobStore = new MemoryBackend();
  const bob = clocked(clock, bobStore);
  const carol = newClient(relay.base);
  await alice.register('gaalice');
  await bob.register('gabob');
  const bobId = bob.account?.accountId ?? '';
  await carol.register('gacarol');
  const laptop = await linked(alice, clock);
  const { groupId } = await alice.createGroup('Actions', ['gabob', 'gacarol']);
  for (const c of [bob, carol, laptop]) await c.receive();

  const { messageId } = await alice.sendToGroup(groupId, 'lunch at noon');
  for (const c of [bob, carol, laptop]) await c.receive();
  const reply = await bob.sendToGroup(groupId, 'yes', { replyTo: messageId });
  await bob.actInGroup(groupId, messageId, { kind: 'reaction', emoji: '👍', remove: false });
  deepStrictEqual(updates(await carol.receive()), ['gabob reaction']);
  await alice.receive();
  strictEqual(
    alice.groupHistory(groupId).find((m) => m.id === reply.messageId)?.replyTo,
    messageId,
  );

  await alice.actInGroup(groupId, messageId, { kind: 'edit', text: 'lunch at one' });
  for (const c of [bob, carol, laptop]) {
    await c.receive();
  }
  for (const c of [alice, laptop, bob, carol]) {
    const m = c.groupHistory(groupId).find((x) => x.id === messageId);
    strictEqual(m?.text, 'lunch at one');
    deepStrictEqual(
      m.edits?.map((e) => e.text),
      ['lunch at noon'],
    );
    deepStrictEqual(m.reactions, { [bobId]: '👍' });
  }

  // Bob may not edit or delete alice's message: refused before sending...
  await rejects(
    bob.actInGroup(groupId, messageId, { kind: 'edit', text: 'hijacked' }),
    (e: unknown) => e instanceof ClientError && e.code === 'INVALID_INPUT',
  );

  // A hostile bob whose client skips that check (his store says the message is his): the edit
  // goes out, and every other device refuses it and changes nothing.
  const honest = groupRecords.message(bobStore, groupId, messageId);
  ok(honest !== undefined);
  bobStore.transact((w) => {
    groupRecords.putMessage(w, { ...honest, direction: 'out', fromAccount: bobId });
  });
  await bob.actInGroup(groupId, messageId, { kind: 'edit', text: 'hijacked' });
  await bob.actInGroup(groupId, messageId, { kind: 'delete' });
  for (const c of [alice, laptop, carol]) {
    const refused = (await c.receive()).flatMap((e) =>
      e.type === 'group-refused' ? [e.reason] : [],
    );
    deepStrictEqual(refused, ['an edit not by the author', 'a delete not by the author']);
    strictEqual(c.groupHistory(groupId).find((x) => x.id === messageId)?.text, 'lunch at one');
  }
  bobStore.transact((w) => {
    groupRecords.putMessage(w, honest);
  });

  // ...and laptop deletes it for everyone (it is alice's account): a tombstone everywhere.
  await laptop.actInGroup(groupId, messageId, { kind: 'delete' });
  for (const c of [alice, bob, carol])
    deepStrictEqual(updates(await c.receive()), ['gaalice delete']);
  for (const c of [alice, laptop, bob, carol]) {
    const m = c.groupHistory(groupId).find((x) => x.id === messageId);
    deepStrictEqual(
      [m?.deleted, m?.text, m?.edits, m?.reactions],
      [true, '', undefined, undefined],
    );
  }
});

test('typing indicators are off by default, shown only where on; a group timer makes messages disappear everywhere', async () => {
  const clock = { now: Date.now() };
  const alice = clocked(clock);
  const bob = clocked(clock);
  await alice.register('tyalice');
  await bob.register('tybob');
  const laptop = await linked(alice, clock);
  const { groupId } = await alice.createGroup('Timers', ['tybob']);
  for (const c of [bob, laptop]) await c.receive();

  strictEqual(alice.settings().typingIndicators, false);
  strictEqual(await alice.sendTyping({ group: groupId }, true), false, 'off: nothing sent');
  alice.setTypingIndicators(true);
  strictEqual(await alice.sendTyping({ group: groupId }, true), true);
  strictEqual(await alice.sendTyping({ username: 'tybob' }, true), true);
  const atBob = await bob.receive();
  deepStrictEqual(
    atBob.filter((e) => e.type === 'typing'),
    [],
    'bob has them off',
  );
  bob.setTypingIndicators(true);
  await alice.sendTyping({ group: groupId }, false);
  const typing = (await bob.receive()).flatMap((e) =>
    e.type === 'typing' ? [[e.from, e.started, e.groupId]] : [],
  );
  deepStrictEqual(typing, [['tyalice', false, groupId]]);

  await bob.setDisappearingTimer({ group: groupId }, 60);
  const timers = (await alice.receive()).flatMap((e) =>
    e.type === 'timer-changed' ? [[e.by, e.seconds]] : [],
  );
  deepStrictEqual(timers, [['tybob', 60]]);
  await laptop.receive();
  for (const c of [alice, laptop, bob]) strictEqual(c.disappearingTimer({ group: groupId }), 60);
  const { messageId } = await alice.sendToGroup(groupId, 'this will vanish');
  const kept = await alice.sendToGroup(groupId, 'x');
  for (const c of [bob, laptop]) await c.receive();
  for (const c of [alice, laptop, bob]) ok(c.groupHistory(groupId).some((m) => m.id === messageId));
  clock.now += 61_000;
  for (const c of [alice, laptop, bob]) {
    strictEqual(c.sweepExpired().messages, 2);
    deepStrictEqual(
      c.groupHistory(groupId).filter((m) => m.id === messageId || m.id === kept.messageId),
      [],
    );
  }

  // 1:1: the timer reaches the contact and our other device; the message carries it.
  await alice.setDisappearingTimer({ username: 'tybob' }, 5);
  await bob.receive();
  await laptop.receive();
  for (const c of [alice, laptop]) strictEqual(c.disappearingTimer({ username: 'tybob' }), 5);
  strictEqual(bob.disappearingTimer({ username: 'tyalice' }), 5);
  const sent = await alice.send('tybob', 'brief');
  await bob.receive();
  strictEqual(bob.message(sent.messageId)?.expiresAt, alice.message(sent.messageId)?.expiresAt);
  clock.now += 6_000;
  strictEqual(bob.sweepExpired().messages, 1);
  strictEqual(bob.message(sent.messageId), undefined);

  // A relay that ignores the expiry (this one's clock is behind the clients'): the envelope
  // arrives after its time and is neither stored nor shown.
  const late = await alice.send('tybob', 'too late');
  clock.now += 6_000;
  const replayed = await bob.receive();
  ok(!replayed.some((e) => e.type === 'message'), 'not shown');
  strictEqual(bob.message(late.messageId), undefined, 'not stored');
});
