/**
 * The page's cache of newest pages (Node): live items replace or join a kept page as the
 * engine's newest page would have them, older ones stay out, a full page that loses items is
 * dropped, and both bounds hold (rows per page, conversations).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConversationId, TimelineItem } from '../src/engine/protocol.js';
import { CACHED_CONVERSATIONS, createPageCache } from '../src/ui/page-cache.js';

const ROWS = 5;
const conv: ConversationId = 'd:bob';

function item(n: number, text = `message ${n}`): TimelineItem {
  return {
    kind: 'message',
    conv,
    id: `m${String(n).padStart(3, '0')}`,
    at: 1_000 * n,
    sender: 'bob',
    direction: 'in',
    text,
    state: 'delivered',
  };
}

const texts = (items: readonly TimelineItem[] | undefined): string[] =>
  (items ?? []).map((i) => i.text);

test('a kept page takes edits, deletions and new items, and keeps its newest rows', () => {
  const cache = createPageCache(ROWS);
  cache.put(
    conv,
    [3, 1, 5, 2, 4, 6].map((n) => item(n)),
  );
  assert.deepEqual(
    texts(cache.get(conv)),
    [2, 3, 4, 5, 6].map((n) => `message ${n}`),
  );

  cache.merge(conv, [item(4, 'edited'), { ...item(5), text: '', deleted: true }, item(7)]);
  assert.deepEqual(texts(cache.get(conv)), ['message 3', 'edited', '', 'message 6', 'message 7']);
  assert.equal(cache.get(conv)?.[2]?.deleted, true);

  // Older than the page (an edit far back): the page does not reach it, so it stays out.
  cache.merge(conv, [item(1, 'old edit')]);
  assert.deepEqual(texts(cache.get(conv))[0], 'message 3');

  // Nothing kept for a conversation never put.
  cache.merge('d:carol', [item(9)]);
  assert.equal(cache.get('d:carol'), undefined);
});

test('removed items: a short page loses them, a full page is dropped', () => {
  const cache = createPageCache(ROWS);
  cache.put('d:short', [item(1), item(2)]);
  cache.put(
    conv,
    [1, 2, 3, 4, 5, 6].map((n) => item(n)),
  );
  cache.remove('d:short', ['m001']);
  assert.deepEqual(texts(cache.get('d:short')), ['message 2']);
  cache.remove(conv, ['m999']);
  assert.equal(cache.get(conv)?.length, ROWS, 'unchanged when none of it was removed');
  cache.remove(conv, ['m004']);
  assert.equal(cache.get(conv), undefined);
});

test('at most CACHED_CONVERSATIONS pages, the least recently put leaving first', () => {
  const cache = createPageCache(ROWS);
  for (let n = 0; n <= CACHED_CONVERSATIONS; n++) cache.put(`d:u${n}`, [item(n)]);
  assert.equal(cache.get('d:u0'), undefined);
  assert.ok(cache.get('d:u1') !== undefined);
  assert.ok(cache.get(`d:u${CACHED_CONVERSATIONS}`) !== undefined);
  cache.clear();
  assert.equal(cache.get('d:u1'), undefined);
});

test('pages go in and come out as copies', () => {
  const cache = createPageCache(ROWS);
  const given = [item(1)];
  cache.put(conv, given);
  (given[0] as { text: string }).text = 'changed by the view';
  const got = cache.get(conv);
  assert.deepEqual(texts(got), ['message 1']);
  (got?.[0] as { text: string }).text = 'changed again';
  assert.deepEqual(texts(cache.get(conv)), ['message 1']);
});
