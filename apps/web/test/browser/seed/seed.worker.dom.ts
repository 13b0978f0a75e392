/**
 * Writes synthetic message records into the profile's store the way the SDK stores them
 * (namespace `message`, versioned JSON keyed by id), under the engine lock so no engine runs
 * meanwhile. The first `peers` contacts are made up (`bench-peer-N`, never contacted); the
 * account's real contacts get their share too. The history is written as read (status and read
 * mark), as most of a long history is. The conversations' summary records are kept in the same
 * transactions by the engine's own code, as the engine keeps them for the SDK's writes. For the
 * benchmark only.
 */
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import type { MessageRecord } from '@parley/client';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { ENGINE_LOCK } from '../../../src/engine/protocol.js';
import { directId } from '../../../src/engine/protocol.js';
import { SDK_NS, contactRecord } from '../../../src/engine/sdk-records.js';
import { applyToSummaries, markSummaryRead } from '../../../src/engine/summaries.js';
import { webRecords } from '../../../src/engine/web-records.js';
import { installPool, openStore } from '../../../src/engine/store.dom.js';

export interface SeedRequest {
  /** Messages to add. */
  readonly count: number;
  /** Made-up contacts to spread them over (besides the real ones). */
  readonly peers: number;
  /** Ids start here, so a second call adds to the first. */
  readonly from: number;
}

export type SeedResult =
  | { readonly ok: true; readonly ms: number; readonly conversations: number }
  | { readonly ok: false; readonly error: string };

const WORDS = [
  'harbour',
  'lantern',
  'meadow',
  'copper',
  'violet',
  'granite',
  'orchard',
  'thunder',
  'saffron',
  'glacier',
  'pepper',
  'willow',
  'marble',
  'falcon',
  'cinder',
  'juniper',
  'tundra',
  'cobalt',
  'ember',
  'quartz',
  'almond',
  'biscuit',
  'canyon',
  'dolphin',
];
const BATCH = 2_000;
/**
 * The SDK's mark that its unread index (`unread-index.ts` of `@parley/client`) is built. A store
 * the SDK wrote has it from its first read receipt, when the history was short; without it the
 * first receipt on this seeded history would make the SDK read and decrypt all of it at once.
 */
const UNREAD_INDEX_BUILT = { ns: 'unread-meta', key: 'built', value: '1' } as const;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

async function seed(request: SeedRequest): Promise<SeedResult> {
  const start = performance.now();
  const sqlite3 = await sqlite3InitModule();
  const pool = await installPool(sqlite3);
  const opening = await openStore(pool, createNoblePrimitives());
  if (opening.kind !== 'open') return { ok: false, error: `store ${opening.kind}` };
  const { backend } = opening;
  try {
    const peers: string[] = [];
    const usernames = new Map<string, string>();
    for (const [, v] of backend.list(SDK_NS.contact)) {
      const c = contactRecord(v);
      if (c === undefined) continue;
      peers.push(c.accountId);
      usernames.set(c.accountId, c.username);
    }
    backend.transact((w) => {
      for (let p = 0; p < request.peers; p++) {
        const accountId = `bench-account-${p}`;
        w.put(
          SDK_NS.contact,
          `bench-peer-${p}`,
          utf8(
            JSON.stringify({
              rv: 1,
              username: `bench-peer-${p}`,
              accountId,
              accountKey: '',
              deviceListVersion: 0,
              devices: [],
            }),
          ),
        );
        peers.push(accountId);
        usernames.set(accountId, `bench-peer-${p}`);
      }
    });
    const lastAt = new Map<string, number>();
    const t0 = Date.now() - request.count * 1_000;
    for (let b = 0; b < request.count; b += BATCH) {
      backend.transact((w) => {
        const writes = [];
        for (let i = b; i < Math.min(request.count, b + BATCH); i++) {
          const n = request.from + i;
          // A fifth of the messages go to the first (real) contact, the rest round the others.
          const peer = i % 5 === 0 ? peers[0] : peers[1 + (i % (peers.length - 1))];
          const record: MessageRecord = {
            id: `bench-${n}`,
            peer: peer ?? '',
            direction: i % 2 === 0 ? 'out' : 'in',
            text: `${WORDS[n % WORDS.length]} ${WORDS[(n * 7) % WORDS.length]} and the ${WORDS[(n * 13) % WORDS.length]} note n${n}`,
            sentAt: t0 + i * 1_000,
            // A history already read (receipts sent), as most of a long history is.
            status: 'read',
          };
          lastAt.set(record.peer, record.sentAt);
          const value = utf8(JSON.stringify({ rv: 1, ...record }));
          w.put(SDK_NS.message, record.id, value);
          writes.push({ change: { ns: SDK_NS.message, key: record.id, value }, existed: false });
        }
        applyToSummaries(w, writes, (accountId) => usernames.get(accountId));
      });
    }
    backend.transact((w) => {
      // Every seeded message is read, so the built index has no entry.
      w.put(UNREAD_INDEX_BUILT.ns, UNREAD_INDEX_BUILT.key, utf8(UNREAD_INDEX_BUILT.value));
      for (const [peer, at] of lastAt) {
        const username = usernames.get(peer);
        if (username === undefined) continue;
        webRecords.putConv(w, { id: directId(username), readAt: at });
        markSummaryRead(w, directId(username));
      }
    });
    return { ok: true, ms: performance.now() - start, conversations: peers.length };
  } finally {
    backend.close();
    // Releases the pool's OPFS access handles before the lock passes on: after 100,000
    // messages the engine's next start otherwise found them still held (worker termination
    // releases them, but not always within the engine's retry window).
    pool.pauseVfs();
  }
}

onmessage = (event: MessageEvent<SeedRequest>) => {
  void navigator.locks.request(ENGINE_LOCK, () =>
    seed(event.data).then(
      (r) => postMessage(r),
      (e: unknown) => postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) }),
    ),
  );
};
