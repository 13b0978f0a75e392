/**
 * The conversation summaries follow deletes (messages whose disappearing timer ran out): the
 * message leaves the summary's newest page, its count and, if it was unread, the unread count,
 * in the transaction that deleted it; 1:1 and group.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { utf8Encode } from '@parley/bytes';
import { MemoryBackend } from '@parley/client';
import { ObservedBackend } from '../src/engine/observed-backend.js';
import { directId, groupConvId } from '../src/engine/protocol.js';
import { SDK_NS } from '../src/engine/sdk-records.js';
import { applyToSummaries, summaries } from '../src/engine/summaries.js';

const BOB = 'acct-bob';

function store(): ObservedBackend {
  return new ObservedBackend(
    new MemoryBackend(),
    [SDK_NS.message, SDK_NS.groupMessage],
    () => undefined,
    (w, writes) => {
      applyToSummaries(w, writes, (a) => (a === BOB ? 'bob' : undefined));
    },
  );
}

const direct = (id: string, sentAt: number, direction: 'in' | 'out') =>
  utf8Encode(
    JSON.stringify({ rv: 1, id, peer: BOB, text: id, sentAt, direction, status: 'received' }),
  );
const group = (id: string, sentAt: number) =>
  utf8Encode(
    JSON.stringify({
      rv: 1,
      id,
      groupId: 'g1',
      fromAccount: BOB,
      text: id,
      sentAt,
      direction: 'in',
    }),
  );

test('a deleted message leaves its summary: newest page, count and unread count', () => {
  const db = store();
  db.transact((w) => {
    w.put(SDK_NS.message, 'a', direct('a', 1000, 'in'));
    w.put(SDK_NS.message, 'b', direct('b', 2000, 'out'));
    w.put(SDK_NS.message, 'c', direct('c', 3000, 'in'));
    w.put(SDK_NS.groupMessage, 'g1/x', group('x', 1500));
    w.put(SDK_NS.groupMessage, 'g1/y', group('y', 2500));
  });
  const before = summaries.get(db, directId('bob'));
  assert.deepEqual(
    [before?.messages, before?.unread, before?.recent.map((m) => m.key)],
    [3, 2, ['a', 'b', 'c']],
  );

  db.transact((w) => {
    w.delete(SDK_NS.message, 'c');
    w.delete(SDK_NS.message, 'b');
    w.delete(SDK_NS.groupMessage, 'g1/y');
    w.delete(SDK_NS.message, 'never-stored');
  });
  const after = summaries.get(db, directId('bob'));
  assert.deepEqual(
    [after?.messages, after?.unread, after?.recent.map((m) => m.key)],
    [1, 1, ['a']],
  );
  const g = summaries.get(db, groupConvId('g1'));
  assert.deepEqual([g?.messages, g?.unread, g?.recent.map((m) => m.key)], [1, 1, ['g1/x']]);
});
