// Replies, reactions, edits and delete for everyone in 1:1 conversations against the real relay:
// every device of both sides ends with the same record; only the author edits or deletes; a
// deleted message keeps a tombstone and takes no more actions.
import { deepStrictEqual, rejects, strictEqual, throws } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ParleyClient } from '../src/client.js';
import { ClientError } from '../src/errors.js';
import { applyAction } from '../src/message-actions.js';
import { records } from '../src/state.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, startRelay, type TestRelay } from './harness.js';

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

async function linked(primary: ParleyClient): Promise<ParleyClient> {
  const laptop = newClient(relay.base, nodeFetch, new MemoryBackend());
  const pending = await laptop.startLink();
  await Promise.all([primary.approveLink(pending.code), pending.complete()]);
  return laptop;
}

const invalidInput = (e: unknown) => e instanceof ClientError && e.code === 'INVALID_INPUT';

test('a reply, a reaction, an edit and a delete for everyone look the same on every device', async () => {
  const alice = newClient(relay.base);
  const bob = newClient(relay.base);
  await alice.register('actalice');
  await bob.register('actbob');
  const laptop = await linked(alice);
  const { messageId } = await alice.send('actbob', 'see you at 5');
  await bob.receive();
  await laptop.receive();

  const reply = await bob.send('actalice', 'ok!', { replyTo: messageId });
  await bob.react('actalice', messageId, '👍');
  const updates = (await alice.receive()).flatMap((e) =>
    e.type === 'message-updated' ? [[e.action, e.by]] : [],
  );
  deepStrictEqual(updates, [['reaction', 'actbob']]);
  strictEqual(alice.message(reply.messageId)?.replyTo, messageId);

  await alice.edit('actbob', messageId, 'see you at 6');
  await alice.react('actbob', messageId, '🎉');
  await bob.receive();
  await laptop.receive();
  const bobId = bob.account?.accountId ?? '';
  const aliceId = alice.account?.accountId ?? '';
  for (const device of [alice, laptop, bob]) {
    const m = device.message(messageId);
    strictEqual(m?.text, 'see you at 6');
    deepStrictEqual(
      m.edits?.map((e) => e.text),
      ['see you at 5'],
    );
    deepStrictEqual(m.reactions, { [bobId]: '👍', [aliceId]: '🎉' });
  }
  await bob.react('actalice', messageId, '👍', true);
  await alice.receive();
  deepStrictEqual(alice.message(messageId)?.reactions, { [aliceId]: '🎉' });

  // Only the author edits or deletes.
  await rejects(bob.edit('actalice', messageId, 'at 7'), invalidInput);
  await rejects(bob.deleteForEveryone('actalice', messageId), invalidInput);

  await laptop.deleteForEveryone('actbob', messageId);
  await bob.receive();
  await alice.receive();
  for (const device of [alice, laptop, bob]) {
    const m = device.message(messageId);
    strictEqual(m?.deleted, true);
    strictEqual(m.text, '');
    strictEqual(m.edits, undefined);
    strictEqual(m.reactions, undefined);
  }
  await rejects(alice.react('actbob', messageId, '❤️'), invalidInput);
});

test('actions from the wrong account, on another conversation or on a tombstone change nothing', () => {
  const db = new MemoryBackend();
  const mine = {
    id: 'm1',
    peer: 'bob',
    direction: 'out',
    text: 'hi',
    sentAt: 1,
    status: 'sent',
  } as const;
  const theirs = {
    id: 'm2',
    peer: 'carol',
    direction: 'in',
    text: 'yo',
    sentAt: 1,
    status: 'received',
  } as const;
  db.transact((w) => {
    records.putMessage(w, mine);
    records.putMessage(w, theirs);
  });
  db.transact((w) => {
    deepStrictEqual(applyAction(w, 'me', 'bob', 'bob', 'm1', { kind: 'edit', text: 'x' }, 2), {
      refused: 'an edit not by the author',
    });
    deepStrictEqual(applyAction(w, 'me', 'bob', 'bob', 'm1', { kind: 'delete' }, 2), {
      refused: 'a delete not by the author',
    });
    deepStrictEqual(
      applyAction(w, 'me', 'bob', 'bob', 'm2', { kind: 'reaction', emoji: 'x', remove: false }, 2),
      { refused: 'an action on a message not in this conversation' },
    );
    deepStrictEqual(applyAction(w, 'me', 'bob', 'bob', 'nope', { kind: 'delete' }, 2), {
      refused: 'an action on a message not in this conversation',
    });
  });
  deepStrictEqual(records.message(db, 'm1'), { rv: 1, ...mine });
  db.transact((w) => {
    applyAction(w, 'me', 'bob', 'me', 'm1', { kind: 'delete' }, 3);
    deepStrictEqual(applyAction(w, 'me', 'bob', 'me', 'm1', { kind: 'edit', text: 'back' }, 4), {
      refused: 'an action on a deleted message',
    });
  });
  throws(() => {
    db.transact(() => {
      throw new ClientError('INVALID_INPUT', 'x');
    });
  }, invalidInput);
});
