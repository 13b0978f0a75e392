/**
 * The client store suite in a browser worker: the SDK's conformance cases
 * (`@parley/client/testing`) against the SQLite WASM store on OPFS (`opfs-sahpool`), then the
 * cases only this backend has: the at-rest key wrapped by a non-extractable WebCrypto key (and
 * a passphrase), reopening, refusing other keys, and no plaintext in the OPFS file; the
 * engine's in-memory history index (FTS5 trigram search, paging, unread counts); and its start
 * from the conversation summaries with the history indexed in the background (`index-cases`).
 */
import sqlite3InitModule, { type SAHPoolUtil } from '@sqlite.org/sqlite-wasm';
import { ClientError } from '@parley/client';
import { storeConformanceCases } from '@parley/client/testing';
import { createNoblePrimitives } from '@parley/primitives-noble';
import {
  deleteDeviceKey,
  loadDeviceKey,
  newPassphraseParams,
  passphraseKey,
  unwrapMasterKey,
  wrapMasterKey,
} from '../../src/engine/at-rest-key.dom.js';
import { HistoryIndex } from '../../src/engine/history-index.js';
import { indexCases } from './index-cases.dom.js';
import type { TimelineItem } from '../../src/engine/protocol.js';
import {
  MASTER_KEY_BYTES,
  openSqliteStore,
  prepareDatabase,
} from '../../src/engine/sqlite-store.js';
import { STORE_FILE, installPool, openStore } from '../../src/engine/store.dom.js';

export interface SuiteResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

const primitives = createNoblePrimitives();
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function fail(what: string): never {
  throw new Error(what);
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function rejectsLocked(p: Promise<unknown>, what: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ClientError && e.code === 'STORE_LOCKED') return;
    fail(`${what}: threw ${e instanceof Error ? e.name : String(e)}, not STORE_LOCKED`);
  }
  fail(`${what}: did not fail`);
}

function throwsLocked(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof ClientError && e.code === 'STORE_LOCKED') return;
    fail(`${what}: threw ${e instanceof Error ? e.name : String(e)}, not STORE_LOCKED`);
  }
  fail(`${what}: did not fail`);
}

async function run(): Promise<SuiteResult[]> {
  const sqlite3 = await sqlite3InitModule();
  const pool: SAHPoolUtil = await sqlite3.installOpfsSAHPoolVfs({
    name: 'suite-pool',
    directory: '.suite-pool',
    initialCapacity: 48,
    clearOnInit: true,
  });
  // The master key the suite's stores use, taken through the real wrap and unwrap.
  const device = (await loadDeviceKey(true)) ?? fail('no device key');
  const master = await unwrapMasterKey(
    await wrapMasterKey(crypto.getRandomValues(new Uint8Array(MASTER_KEY_BYTES)), device),
    device,
  );
  let n = 0;
  const open = (name = `/suite-${n++}.db`, key = master) => {
    const db = new pool.OpfsSAHPoolDb(name);
    prepareDatabase(db);
    return openSqliteStore(db, primitives, key);
  };

  const cases: { name: string; run(): void | Promise<void> }[] = [
    ...storeConformanceCases(() => open()).map((c) => ({
      name: `conformance: ${c.name}`,
      run: () => {
        c.run();
      },
    })),
    {
      name: 'a store reopens under its key and refuses another key',
      run: () => {
        const db = open('/reopen.db');
        db.transact((w) => w.put('ns', 'alice', Uint8Array.of(1, 2, 3)));
        db.close();
        const again = open('/reopen.db');
        if (again.get('ns', 'alice')?.[2] !== 3) fail('the value did not survive a reopen');
        again.close();
        throwsLocked(
          () => open('/reopen.db', crypto.getRandomValues(new Uint8Array(MASTER_KEY_BYTES))),
          'opening with another key',
        );
      },
    },
    {
      name: 'nothing stored is readable in the OPFS file (key names and values encrypted)',
      run: async () => {
        const db = open('/plain.db');
        db.transact((w) => w.put('contact', 'bob-the-username', utf8('very secret text')));
        db.close();
        const raw = await pool.exportFile('/plain.db');
        if (raw.length < 1024) fail('the exported file is too small to be the store');
        if (contains(raw, utf8('bob-the-username'))) fail('a key name is readable');
        if (contains(raw, utf8('very secret text'))) fail('a value is readable');
        if (!contains(raw, utf8('SQLite format 3'))) fail('the export is not the database');
      },
    },
    {
      name: 'the device key is non-extractable and wraps the master key',
      run: async () => {
        if (device.extractable) fail('the device key is extractable');
        const exported = await crypto.subtle.exportKey('raw', device).then(
          () => true,
          () => false,
        );
        if (exported) fail('the device key could be exported');
        const again = (await loadDeviceKey(false)) ?? fail('the device key was not kept');
        const secret = crypto.getRandomValues(new Uint8Array(MASTER_KEY_BYTES));
        const wrapped = await wrapMasterKey(secret, device);
        if (contains(wrapped, secret)) fail('the wrapped key contains the key');
        const back = await unwrapMasterKey(wrapped, again);
        if (back.join() !== secret.join()) fail('unwrapping did not give the key back');
        const other = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
          'encrypt',
          'decrypt',
        ]);
        await rejectsLocked(unwrapMasterKey(wrapped, other), 'unwrapping with another key');
        const tampered = wrapped.slice();
        tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
        await rejectsLocked(unwrapMasterKey(tampered, device), 'unwrapping a changed key');
      },
    },
    {
      name: 'a passphrase layer: needed, and a wrong one is refused',
      run: async () => {
        const params = newPassphraseParams();
        const secret = crypto.getRandomValues(new Uint8Array(MASTER_KEY_BYTES));
        const wrapped = await wrapMasterKey(
          secret,
          device,
          await passphraseKey('correct horse', params),
        );
        await rejectsLocked(unwrapMasterKey(wrapped, device), 'unwrapping without it');
        await rejectsLocked(
          unwrapMasterKey(wrapped, device, await passphraseKey('wrong horse', params)),
          'unwrapping with a wrong one',
        );
        const back = await unwrapMasterKey(
          wrapped,
          device,
          await passphraseKey('correct horse', params),
        );
        if (back.join() !== secret.join()) fail('the passphrase did not give the key back');
      },
    },
    {
      name: 'the engine store opens, keeps data across opens, and says so when its key is gone',
      run: async () => {
        const enginePool = await installPool(sqlite3);
        const first = await openStore(enginePool, primitives);
        if (first.kind !== 'open') fail(`first open: ${first.kind}`);
        first.backend.transact((w) => w.put('ns', 'k', Uint8Array.of(7)));
        first.backend.close();
        const second = await openStore(enginePool, primitives);
        if (second.kind !== 'open') fail(`second open: ${second.kind}`);
        if (second.backend.get('ns', 'k')?.[0] !== 7) fail('the value did not survive');
        second.backend.close();
        if (!enginePool.getFileNames().includes(STORE_FILE))
          fail('the store file is not in the pool');
        await deleteDeviceKey();
        const third = await openStore(enginePool, primitives);
        if (third.kind !== 'unavailable') fail(`open without the device key: ${third.kind}`);
      },
    },
  ];

  const item = (
    conv: string,
    id: string,
    text: string,
    at: number,
    direction: 'in' | 'out' = 'in',
  ): TimelineItem => ({
    id,
    conv,
    kind: 'message',
    direction,
    sender: direction === 'in' ? 'bob' : 'alice',
    text,
    at,
    state: direction === 'in' ? 'received' : 'sent',
  });
  cases.push(
    {
      name: 'history index: substring search in any case, short queries too, nothing from other text',
      run: () => {
        const index = new HistoryIndex(sqlite3);
        index.putConversation('d:bob', 'direct', 'bob');
        index.putItems([
          item('d:bob', 'a', 'The marmalade recipe needs Seville oranges', 1),
          item('d:bob', 'b', 'Grüße aus Köln', 2),
          item('d:bob', 'c', 'say "quoted" words', 3),
        ]);
        const texts = (q: string): string[] => index.search(q, 10).map((i) => i.text);
        if (texts('ARMALAD').join() !== 'The marmalade recipe needs Seville oranges')
          fail('substring');
        if (texts('köln').join() !== 'Grüße aus Köln') fail('non-ASCII, case-insensitive');
        if (texts('"quoted"').join() !== 'say "quoted" words') fail('a query with quotes');
        if (texts('Se').length !== 1) fail('a two-character query');
        if (texts('pineapple').length !== 0) fail('a query that matches nothing');
        index.putItems([item('d:bob', 'a', 'edited away', 1)]);
        if (texts('marmalade').length !== 0) fail('the old text of an updated item is still found');
        index.close();
      },
    },
    {
      name: 'history index: search returns the newest hits first, at most the limit; a sent text is found since a time',
      run: () => {
        const index = new HistoryIndex(sqlite3);
        index.putConversation('d:bob', 'direct', 'bob');
        // Inserted oldest first, as the rebuild does.
        index.putItems(
          Array.from({ length: 30 }, (_, i) =>
            item(
              'd:bob',
              `m${String(i).padStart(2, '0')}`,
              `lantern number ${i}`,
              100 + i,
              i % 2 === 0 ? 'out' : 'in',
            ),
          ),
        );
        const hits = index.search('lantern', 5).map((i) => i.at);
        if (hits.join() !== '129,128,127,126,125') fail(`newest first: ${hits.join()}`);
        if (index.search('ant', 3).length !== 3) fail('the limit');
        if (index.sentSince('d:bob', 'lantern number 28', 128) !== 'm28') fail('sent since');
        if (index.sentSince('d:bob', 'lantern number 28', 129) !== undefined) fail('too early');
        if (index.sentSince('d:bob', 'lantern number 29', 0) !== undefined) fail('incoming');
        index.close();
      },
    },
    {
      name: 'history index: pages back by (time, id) without gaps or repeats; unread follows the read mark',
      run: () => {
        const index = new HistoryIndex(sqlite3);
        index.putConversation('d:bob', 'direct', 'bob');
        const all = Array.from({ length: 25 }, (_, i) =>
          item(
            'd:bob',
            `m${String(i).padStart(2, '0')}`,
            `text ${i}`,
            1000 + Math.floor(i / 3),
            i % 4 === 0 ? 'out' : 'in',
          ),
        );
        index.putItems(all);
        const seen: string[] = [];
        let page = index.timeline('d:bob', 7);
        while (page.length > 0) {
          seen.unshift(...page.map((i) => i.id));
          const first = page[0];
          if (first === undefined) break;
          page = index.timeline('d:bob', 7, { at: first.at, id: first.id });
        }
        if (seen.join() !== all.map((i) => i.id).join()) fail(`paging gave ${seen.join()}`);
        const incoming = all.filter((i) => i.direction === 'in');
        if (index.conversation('d:bob')?.unread !== incoming.length)
          fail('unread before any read mark');
        index.setReadAt('d:bob', 1004);
        const after = incoming.filter((i) => i.at > 1004).length;
        if (index.conversation('d:bob')?.unread !== after) fail('unread after the read mark');
        if (index.conversation('d:bob')?.lastText !== 'text 24') fail('the last message');
        index.close();
      },
    },
  );

  cases.push(...indexCases(sqlite3, primitives));

  const results: SuiteResult[] = [];
  for (const c of cases) {
    try {
      await c.run();
      results.push({ name: c.name, ok: true });
    } catch (e) {
      results.push({ name: c.name, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return results;
}

run().then(
  (results) => {
    postMessage(results);
  },
  (error: unknown) => {
    postMessage([{ name: 'suite setup', ok: false, error: String(error) }]);
  },
);
