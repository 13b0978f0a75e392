// The lazy entry's facades (`lazy-groups.ts`, `lazy-transparency.ts`): the group and key
// transparency code loads only when the store says it is needed, and the answers given without
// it are the ones the code would give. The main entry provides both parts from the start.
import { deepStrictEqual, ok, rejects, strictEqual, throws } from 'node:assert/strict';
import { test } from 'node:test';
import { codeSlot, type CodeSlot } from '../src/code-slot.js';
import type { ClientContext } from '../src/context.js';
import { ClientError } from '../src/errors.js';
import type { GroupCode } from '../src/group-code.js';
import { groupRecords, type GroupRecord } from '../src/group-records.js';
import type { GroupHost } from '../src/groups.js';
import { LazyGroups, upkeepDue } from '../src/lazy-groups.js';
import { LazyTransparency, ktPinned } from '../src/lazy-transparency.js';
import { MemoryBackend } from '../src/storage.js';
import type { TransparencyCode } from '../src/transparency-code.js';
import type { KtTransport } from '../src/transparency-transport.js';
import { KT_NAMESPACE } from '../src/transparency-store.js';

/** A slot whose code is a stand-in, counting the loads. */
function countingSlot<M>(module: M): { slot: CodeSlot<M>; loads: () => number } {
  let loads = 0;
  const slot = codeSlot(() => {
    loads++;
    return Promise.resolve(module);
  });
  return { slot, loads: () => loads };
}

/** Group code whose engine records what it was asked. */
function fakeGroupCode(calls: string[]): GroupCode {
  class FakeEngine {
    maintain(): Promise<never[]> {
      calls.push('maintain');
      return Promise.resolve([]);
    }
    flushOutbox(): Promise<{ waiting: number; events: never[] }> {
      calls.push('flushOutbox');
      return Promise.resolve({ waiting: 1, events: [] });
    }
    list(): never[] {
      calls.push('list');
      return [];
    }
    resolve(): never {
      throw new Error('not used');
    }
  }
  return { GroupEngine: FakeEngine } as unknown as GroupCode;
}

function groups(db: MemoryBackend, code: CodeSlot<GroupCode>): LazyGroups {
  return new LazyGroups({ db } as unknown as GroupHost, code);
}

const group = (status: GroupRecord['status'], extra: Partial<GroupRecord> = {}): GroupRecord => ({
  groupId: 'Z3JvdXAtaWQ',
  name: 'Hikers',
  status,
  createdAt: 1,
  ...extra,
});

test('a store without groups: upkeep, the outbox flush and the list load no group code', async () => {
  const calls: string[] = [];
  const { slot, loads } = countingSlot(fakeGroupCode(calls));
  const g = groups(new MemoryBackend(), slot);
  deepStrictEqual(await g.maintain(), []);
  deepStrictEqual(await g.flushOutbox(true), { waiting: 0, events: [] });
  deepStrictEqual(g.list(), []);
  throws(
    () => g.resolve('Hikers'),
    (e) => e instanceof ClientError && e.code === 'UNKNOWN_GROUP',
  );
  strictEqual(loads(), 0);
  deepStrictEqual(calls, []);
});

test('an active group with nothing pending needs no upkeep; its list needs the code', async () => {
  const db = new MemoryBackend();
  db.transact((w) => {
    groupRecords.putGroup(w, group('active'));
  });
  strictEqual(upkeepDue(db), false);
  const calls: string[] = [];
  const { slot, loads } = countingSlot(fakeGroupCode(calls));
  const g = groups(db, slot);
  deepStrictEqual(await g.maintain(), []);
  strictEqual(g.resolve('hikers').groupId, 'Z3JvdXAtaWQ');
  throws(
    () => g.list(),
    (e) => e instanceof ClientError && e.code === 'MISUSE',
  );
  strictEqual(loads(), 0);
  await g.engine();
  deepStrictEqual(g.list(), []);
  strictEqual(loads(), 1);
  deepStrictEqual(calls, ['list']);
});

test('upkeep is due for leaving, pending proposals, rejoin requests, used last-resort packages', () => {
  const cases: ((db: MemoryBackend) => void)[] = [
    (db) => {
      db.transact((w) => {
        groupRecords.putGroup(w, group('leaving'));
      });
    },
    (db) => {
      db.transact((w) => {
        groupRecords.putGroup(w, group('active', { proposals: true }));
      });
    },
    (db) => {
      db.transact((w) => {
        groupRecords.putRejoinRequest(w, {
          groupId: 'Z3JvdXAtaWQ',
          accountId: 'a',
          deviceId: 2,
          leafKey: 'AA',
          receivedAt: 1,
        });
      });
    },
    (db) => {
      db.transact((w) => {
        groupRecords.putKeyPackage(w, 'ab', {
          keyPackage: 'AA',
          initPrivateKey: 'AA',
          encryptionPrivateKey: 'AA',
          lastResort: true,
          joined: ['Z3JvdXAtaWQ'],
        });
      });
    },
    (db) => {
      db.transact((w) => {
        groupRecords.putKeyPackage(w, 'cd', {
          keyPackage: 'AA',
          initPrivateKey: 'AA',
          encryptionPrivateKey: 'AA',
          lastResort: true,
          joined: ['Z3JvdXAtaWQ'],
          retiredAt: 5,
        });
      });
    },
  ];
  for (const put of cases) {
    const db = new MemoryBackend();
    put(db);
    strictEqual(upkeepDue(db), true);
  }
  // Not due: a one-time KeyPackage, a blocked or a left group.
  const db = new MemoryBackend();
  db.transact((w) => {
    groupRecords.putKeyPackage(w, 'ef', {
      keyPackage: 'AA',
      initPrivateKey: 'AA',
      encryptionPrivateKey: 'AA',
      lastResort: false,
    });
    groupRecords.putGroup(w, group('left', { proposals: true }));
    groupRecords.putGroup(w, {
      ...group('leaving', { blocked: { epoch: 3, code: 'X' } }),
      groupId: 'b3RoZXI',
    });
  });
  strictEqual(upkeepDue(db), false);
});

test('due upkeep and a queued group message load the code once, then run in it', async () => {
  const db = new MemoryBackend();
  db.transact((w) => {
    groupRecords.putGroup(w, group('leaving'));
    groupRecords.putOutbox(w, {
      clientMessageId: 'm1',
      groupId: 'Z3JvdXAtaWQ',
      content: 'AA',
      createdAt: 1,
      seq: 1,
    });
  });
  const calls: string[] = [];
  const { slot, loads } = countingSlot(fakeGroupCode(calls));
  const g = groups(db, slot);
  await g.maintain();
  deepStrictEqual(await g.flushOutbox(false), { waiting: 1, events: [] });
  strictEqual(loads(), 1);
  deepStrictEqual(calls, ['maintain', 'flushOutbox']);
});

test('a failed load fails the operation and is tried again at the next one', async () => {
  const db = new MemoryBackend();
  db.transact((w) => {
    groupRecords.putGroup(w, group('leaving'));
  });
  let attempts = 0;
  const calls: string[] = [];
  const slot = codeSlot<GroupCode>(() => {
    attempts++;
    return attempts === 1
      ? Promise.reject(new Error('chunk failed'))
      : Promise.resolve(fakeGroupCode(calls));
  });
  const g = groups(db, slot);
  await rejects(g.maintain(), /chunk failed/);
  deepStrictEqual(await g.maintain(), []);
  strictEqual(attempts, 2);
  deepStrictEqual(calls, ['maintain']);
});

/** Transparency code whose verifier records what it was asked. */
function fakeTransparencyCode(calls: string[]): TransparencyCode {
  class FakeTransparency {
    status(): unknown {
      calls.push('status');
      return { enabled: true, overdue: [], monitored: 0 };
    }
    verifyAccount(): Promise<void> {
      calls.push('verifyAccount');
      return Promise.resolve();
    }
  }
  return {
    Transparency: FakeTransparency,
    takeGossip: () => 'none',
    withGossip: (_c: unknown, content: Uint8Array) => content,
  } as unknown as TransparencyCode;
}

const noTransport = {} as KtTransport;

test('no log pinned: no gossip, an empty status, "not verified", and no code loaded', async () => {
  const db = new MemoryBackend();
  const calls: string[] = [];
  const { slot, loads } = countingSlot(fakeTransparencyCode(calls));
  const kt = new LazyTransparency(
    { db } as unknown as ClientContext,
    noTransport,
    'if-available',
    slot,
  );
  strictEqual(ktPinned(db), false);
  strictEqual(await kt.gossip(), undefined);
  strictEqual(kt.enabled(), false);
  deepStrictEqual(kt.status(), { enabled: false, overdue: [], monitored: 0 });
  strictEqual(kt.labelStatus('a', 'alice'), 'not verified');
  strictEqual(loads(), 0);
  // The first check loads it.
  await kt.verifyAccount('alice', 'a', 'AA');
  strictEqual(loads(), 1);
  deepStrictEqual(calls, ['verifyAccount']);
});

test('a pinned log: gossip loads the code; the status needs it loaded', async () => {
  const db = new MemoryBackend();
  db.transact((w) => {
    w.put(KT_NAMESPACE, 'config', new Uint8Array([1]));
  });
  const calls: string[] = [];
  const { slot, loads } = countingSlot(fakeTransparencyCode(calls));
  const kt = new LazyTransparency(
    { db } as unknown as ClientContext,
    noTransport,
    'if-available',
    slot,
  );
  strictEqual(kt.enabled(), true);
  throws(
    () => kt.status(),
    (e) => e instanceof ClientError && e.code === 'MISUSE',
  );
  ok((await kt.gossip()) !== undefined);
  strictEqual(loads(), 1);
  deepStrictEqual(kt.status(), { enabled: true, overdue: [], monitored: 0 });
  deepStrictEqual(calls, ['status']);
});

test('the main entry provides both parts from its first line', async () => {
  const { groupCode } = await import('../src/group-code.js');
  const { transparencyCode } = await import('../src/transparency-code.js');
  strictEqual(groupCode.loaded(), undefined);
  strictEqual(transparencyCode.loaded(), undefined);
  await import('../src/index.js');
  ok(groupCode.loaded()?.GroupEngine !== undefined);
  ok(transparencyCode.loaded()?.Transparency !== undefined);
});
