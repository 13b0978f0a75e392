/**
 * The engine's start-up path, in the store suite's worker: the history index orders rows by
 * time whatever order they arrive in; the conversation summaries commit with the messages they
 * follow (or not at all); the list and the newest page answer from them before the history is
 * indexed, and the background index then fills in, a slice at a time, with its progress.
 */
import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { StorageBackend } from '@parley/client';
import type { Primitives } from '@parley/primitives';
import { HistoryIndex } from '../../src/engine/history-index.js';
import { INDEX_PAGE, MAX_SUMMARY_BYTES, SUMMARY_RECENT } from '../../src/engine/limits.js';
import { Mirror, type IndexProgress } from '../../src/engine/mirror.js';
import { ObservedBackend } from '../../src/engine/observed-backend.js';
import type { TimelineItem } from '../../src/engine/protocol.js';
import { SDK_NS } from '../../src/engine/sdk-records.js';
import {
  MASTER_KEY_BYTES,
  openSqliteStore,
  prepareDatabase,
  type PagedReader,
} from '../../src/engine/sqlite-store.js';
import {
  applyToSummaries,
  holdsNewestPage,
  markSummaryRead,
  summaries,
} from '../../src/engine/summaries.js';

interface Case {
  readonly name: string;
  run(): void | Promise<void>;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function fail(what: string): never {
  throw new Error(what);
}

const BOB = 'bob-account';

function message(n: number, direction: 'in' | 'out', status = 'received'): Uint8Array {
  return utf8(
    JSON.stringify({
      rv: 1,
      id: `m${n}`,
      peer: BOB,
      direction,
      text: `note number ${n}`,
      sentAt: 1_000_000 + n * 1_000,
      status: direction === 'out' ? 'sent' : status,
    }),
  );
}

export function indexCases(sqlite3: Sqlite3Static, primitives: Primitives): Case[] {
  const memoryStore = (): StorageBackend & PagedReader => {
    const db = new sqlite3.oo1.DB(':memory:');
    prepareDatabase(db);
    return openSqliteStore(
      db,
      primitives,
      crypto.getRandomValues(new Uint8Array(MASTER_KEY_BYTES)),
    );
  };
  const item = (id: string, text: string, at: number): TimelineItem => ({
    id,
    conv: 'd:bob',
    kind: 'message',
    direction: 'in',
    sender: 'bob',
    text,
    at,
    state: 'received',
  });
  return [
    {
      name: 'history index: rows sort by time whatever order they are indexed in, many at one time too',
      run: () => {
        const index = new HistoryIndex(sqlite3);
        index.putConversation('d:bob', 'direct', 'bob');
        const times = Array.from({ length: 40 }, (_, i) => 100 + i);
        // A shuffle (fixed, so a failure repeats): newest, oldest, then the rest scattered.
        const order = times.map((_, i) => (i * 17) % 40);
        index.putItems(order.map((i) => item(`m${i}`, `lantern ${i}`, times[i] ?? 0)));
        const hits = index.search('lantern', 3).map((i) => i.at);
        if (hits.join() !== '139,138,137') fail(`newest first: ${hits.join()}`);
        // More items with one time than the row counter has room for: all kept.
        index.putItems(Array.from({ length: 1_100 }, (_, i) => item(`s${i}`, `same ${i}`, 50)));
        if (index.size() !== 1_140) fail(`indexed ${index.size()} of 1140`);
        if (index.search('lantern', 1)[0]?.at !== 139) fail('the newest after the same-time run');
        // One item twice in one batch: the last write wins, and the item keeps its one row.
        index.putItems([item('m5', 'first draft', 105), item('m5', 'second draft', 105)]);
        if (index.size() !== 1_140) fail(`an item written again added a row: ${index.size()}`);
        if (index.search('first draft', 5).length !== 0) fail('the earlier write won');
        if (index.search('second draft', 5)[0]?.id !== 'm5') fail('the later write is not found');
        index.close();
      },
    },
    {
      name: 'summaries: commit with their messages or not at all; unread counts new incoming messages after the read mark',
      run: () => {
        const store = memoryStore();
        const names = new Map([[BOB, 'bob']]);
        const db = new ObservedBackend(
          store,
          [SDK_NS.message],
          () => undefined,
          (w, writes) => applyToSummaries(w, writes, (a) => names.get(a)),
        );
        db.transact((w) => {
          for (let n = 0; n < SUMMARY_RECENT + 10; n++)
            w.put(SDK_NS.message, `m${n}`, message(n, n % 2 === 0 ? 'in' : 'out'));
        });
        let s = summaries.get(store, 'd:bob') ?? fail('no summary');
        if (s.unread !== (SUMMARY_RECENT + 10) / 2) fail(`unread ${s.unread}`);
        if (s.recent.length !== SUMMARY_RECENT) fail(`kept ${s.recent.length}`);
        if (s.recent.at(-1)?.key !== `m${SUMMARY_RECENT + 9}`) fail('not the newest last');
        if (s.recent[0]?.key !== 'm10') fail('not the oldest of the newest first');
        // The same message written again (its status moved): not unread twice.
        db.transact((w) => {
          w.put(SDK_NS.message, 'm2', message(2, 'in', 'read'));
        });
        s = summaries.get(store, 'd:bob') ?? fail('no summary');
        if (s.unread !== (SUMMARY_RECENT + 10) / 2) fail(`a rewrite counted: ${s.unread}`);
        // A transaction that throws leaves the summary as it was.
        try {
          db.transact((w) => {
            w.put(SDK_NS.message, 'm900', message(900, 'in'));
            throw new Error('rolled back');
          });
        } catch {
          // expected
        }
        if (summaries.get(store, 'd:bob')?.unread !== s.unread) fail('a rollback counted');
        if (summaries.get(store, 'd:bob')?.lastInAt !== s.lastInAt) fail('a rollback moved it');
        if (!holdsNewestPage(s, SUMMARY_RECENT) || s.messages !== SUMMARY_RECENT + 10)
          fail(`the newest page: ${s.recent.length} of ${s.messages}`);
        store.transact((w) => {
          markSummaryRead(w, 'd:bob');
        });
        if (summaries.get(store, 'd:bob')?.unread !== 0) fail('not read');
        // Long messages: the summary stays within its byte bound, and says it lacks the page.
        db.transact((w) => {
          for (let n = 1000; n < 1000 + SUMMARY_RECENT; n++) {
            const long = JSON.parse(new TextDecoder().decode(message(n, 'out'))) as object;
            w.put(
              SDK_NS.message,
              `m${n}`,
              utf8(JSON.stringify({ ...long, text: 'x'.repeat(4000) })),
            );
          }
        });
        const big = summaries.get(store, 'd:bob') ?? fail('no summary');
        if (JSON.stringify(big.recent).length > MAX_SUMMARY_BYTES) fail('over its byte bound');
        if (big.recent.at(-1)?.key !== `m${1000 + SUMMARY_RECENT - 1}`) fail('not the newest');
        if (holdsNewestPage(big, SUMMARY_RECENT)) fail('claims a page it does not hold');
        if (!holdsNewestPage(big, big.recent.length)) fail('a shorter page');
        // Unknown senders are left out, as the timeline leaves them out.
        names.delete(BOB);
        db.transact((w) => {
          w.put(SDK_NS.message, 'm901', message(901, 'in'));
        });
        if (summaries.get(store, 'd:bob')?.unread !== 0) fail('an unknown sender counted');
        store.close();
      },
    },
    {
      name: 'engine start: the list and the newest page from the summaries, then the history in slices with progress',
      run: async () => {
        const store = memoryStore();
        let selfReads = 0;
        const self = () => {
          selfReads++;
          return { accountId: 'alice-account', username: 'alice' };
        };
        const writer = new Mirror(
          store,
          new HistoryIndex(sqlite3),
          () => undefined,
          self,
          Date.now,
        );
        const db = new ObservedBackend(
          store,
          Object.values(SDK_NS),
          (c) => {
            writer.onCommit(c);
          },
          (w, writes) => {
            writer.summarise(w, writes);
          },
        );
        db.transact((w) => {
          w.put(
            SDK_NS.contact,
            'bob',
            utf8(JSON.stringify({ rv: 1, username: 'bob', accountId: BOB })),
          );
        });
        const total = INDEX_PAGE * 20 + 7;
        for (let b = 0; b < total; b += 300)
          db.transact((w) => {
            for (let n = b; n < Math.min(total, b + 300); n++)
              w.put(SDK_NS.message, `m${n}`, message(n, n % 3 === 0 ? 'in' : 'out'));
          });
        const index = new HistoryIndex(sqlite3);
        const mirror = new Mirror(store, index, () => undefined, self, Date.now);
        mirror.start();
        const list = mirror.conversations();
        const bob = list.find((c) => c.id === 'd:bob') ?? fail('bob is not listed');
        if (bob.lastText !== `note number ${total - 1}`) fail(`last: ${bob.lastText ?? ''}`);
        const incoming = Array.from({ length: total }, (_, n) => n).filter((n) => n % 3 === 0);
        if (bob.unread !== incoming.length) fail(`unread ${bob.unread}, not ${incoming.length}`);
        if (index.size() !== 1)
          fail(`${index.size()} items indexed at start, not the newest alone`);
        selfReads = 0;
        if (!mirror.ensureNewestPage('d:bob', SUMMARY_RECENT)) fail('the summary has no page');
        // Reading our account decrypts a record: once for the page, not per message.
        if (selfReads > 1) fail(`our account read ${selfReads} times for one page`);
        // A conversation without a summary, before the summaries are known complete: not empty.
        if (mirror.ensureNewestPage('d:carol', SUMMARY_RECENT)) fail('no summary taken as empty');
        const page = index.timeline('d:bob', SUMMARY_RECENT);
        if (page.length !== SUMMARY_RECENT || page.at(-1)?.id !== `m${total - 1}`)
          fail('the newest page is not there before the history');
        if (index.size() > SUMMARY_RECENT) fail(`${index.size()} items indexed before the history`);
        const indexed = (): boolean => mirror.indexed;
        if (indexed()) fail('indexed before it began');
        if (index.search('number 0', 5).length !== 0) fail('an old message found before indexing');
        let pauses = 0;
        const seen: IndexProgress[] = [];
        await mirror.indexHistory(
          async () => {
            pauses++;
            await new Promise((r) => setTimeout(r, 0));
          },
          (p) => seen.push(p),
          () => false,
          0, // a pause after every page
        );
        if (!indexed()) fail('not indexed');
        if (pauses < 21) fail(`${pauses} pauses for ${total} records`);
        const last = seen.at(-1) ?? fail('no progress');
        if (last.done !== last.total || last.total !== total)
          fail(`progress ended at ${last.done}/${last.total}`);
        if (index.size() !== total) fail(`${index.size()} of ${total} indexed`);
        if (index.search('number 0', 5)[0]?.id !== 'm0') fail('the oldest is not found');
        if (mirror.conversation('d:bob')?.unread !== incoming.length) fail('unread after indexing');
        if (!summaries.complete(store)) fail('the summaries are not marked complete');
        store.close();
      },
    },
    {
      name: 'replies, reactions, edits and deletes as the SDK stores them reach the items; old texts are not found',
      run: () => {
        const store = memoryStore();
        const index = new HistoryIndex(sqlite3);
        const events: TimelineItem[][] = [];
        const mirror = new Mirror(
          store,
          index,
          (e) => {
            if (e.type === 'items') events.push(e.items);
          },
          () => ({ accountId: 'alice-account', username: 'alice' }),
          Date.now,
        );
        const db = new ObservedBackend(
          store,
          Object.values(SDK_NS),
          (c) => {
            mirror.onCommit(c);
          },
          (w, writes) => {
            mirror.summarise(w, writes);
          },
        );
        mirror.start();
        const put = (id: string, extra: Record<string, unknown>): void => {
          db.transact((w) => {
            w.put(
              SDK_NS.message,
              id,
              utf8(
                JSON.stringify({
                  rv: 1,
                  id,
                  peer: BOB,
                  direction: 'in',
                  text: 'plain words',
                  sentAt: 2_000_000,
                  status: 'received',
                  ...extra,
                }),
              ),
            );
          });
        };
        db.transact((w) => {
          w.put(
            SDK_NS.contact,
            'bob',
            utf8(JSON.stringify({ rv: 1, username: 'bob', accountId: BOB })),
          );
        });
        put('q1', { text: 'the quoted one' });
        put('r1', { text: 'a reply', replyTo: 'q1', sentAt: 2_000_001 });
        const reply = events.at(-1)?.[0] ?? fail('no event for the reply');
        if (reply.replyTo?.sender !== 'bob' || reply.replyTo.excerpt !== 'the quoted one')
          fail(`quote: ${JSON.stringify(reply.replyTo)}`);
        // The quoted message deleted: the reply goes out again, its quote saying so.
        put('q2', { text: 'quoted then deleted', sentAt: 1_999_999 });
        put('r2', { text: 'another reply', replyTo: 'q2', sentAt: 2_000_001 });
        put('q2', { text: '', deleted: true, sentAt: 1_999_999 });
        const again = events.at(-1)?.find((i) => i.id === 'r2') ?? fail('the reply not re-sent');
        if (again.replyTo?.deleted !== true || again.replyTo.excerpt !== undefined)
          fail(`quote after the delete: ${JSON.stringify(again.replyTo)}`);
        // Reactions by account: ours is "you", one entry per emoji.
        put('q1', {
          text: 'the quoted one',
          reactions: { [BOB]: '👍', 'alice-account': '👍', carol: '❤️' },
        });
        const reacted = index.item('d:bob', 'q1') ?? fail('no item');
        const thumbs = reacted.reactions?.find((r) => r.emoji === '👍');
        if (thumbs?.by.join() !== 'bob,you' || !thumbs.mine) fail(JSON.stringify(reacted));
        if (reacted.reactions?.length !== 2) fail('not one entry per emoji');
        // An edit: the new text is found, the old one is not (but kept in the history).
        put('e1', { text: 'fresh wording', edits: [{ text: 'stale wording', replacedAt: 5 }] });
        if (index.search('stale wording', 5).length !== 0) fail('an edited text is found');
        if (index.search('fresh wording', 5)[0]?.id !== 'e1') fail('the new text is not found');
        if (index.item('d:bob', 'e1')?.edits?.[0]?.text !== 'stale wording') fail('no history');
        // A delete: the SDK's tombstone has no text; nothing finds it, the item says deleted.
        put('d1', { text: 'doomed secret' });
        if (index.search('doomed secret', 5).length !== 1) fail('not found before the delete');
        put('d1', { text: '', deleted: true });
        if (index.search('doomed secret', 5).length !== 0) fail('a deleted text is found');
        if (index.item('d:bob', 'd1')?.deleted !== true) fail('not marked deleted');
        if (JSON.stringify(summaries.get(store, 'd:bob')).includes('doomed'))
          fail('the summary record keeps the deleted text');
        // A file: name, size and type for the page; never the key.
        put('f1', {
          text: '',
          sentAt: 2_000_002,
          attachments: [
            {
              id: 'blob',
              key: 'SECRETKEY',
              digest: 'd',
              sha256: 'h',
              size: 10,
              contentType: 'text/plain',
              name: 'a.txt',
            },
          ],
        });
        const file = index.item('d:bob', 'f1') ?? fail('no file item');
        const listed = mirror.conversation('d:bob')?.lastText;
        if (listed !== '📎 a.txt') fail(`the list shows ${listed ?? 'nothing'} for a file`);
        if (file.attachments?.[0]?.name !== 'a.txt' || JSON.stringify(file).includes('SECRETKEY'))
          fail(JSON.stringify(file));
        store.close();
      },
    },
  ];
}
