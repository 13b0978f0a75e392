// Encrypted backups: the recovery key's checksum, wrong keys and damaged files refused with
// nothing written (fuzzed), and a restore into a fresh store after which contacts and groups keep
// talking to the same device without a key change.
import { deepStrictEqual, ok, strictEqual, throws, rejects } from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { utf8Encode } from '@parley/bytes';
import {
  BACKUP_NAMESPACES,
  newRecoveryKey,
  openBackup,
  parseBackupRecords,
  parseRecoveryKey,
} from '../src/backup.js';
import type { ClientEvent } from '../src/client.js';
import { ClientError } from '../src/errors.js';
import { MemoryBackend } from '../src/storage.js';
import { newClient, nodeFetch, primitives, startRelay, type TestRelay } from './harness.js';

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.close();
});

const code = (c: string) => (e: unknown) => e instanceof ClientError && e.code === c;
const backupError = (e: unknown) =>
  e instanceof ClientError && (e.code === 'BACKUP_INVALID' || e.code === 'BACKUP_WRONG_KEY');

test('a recovery key is 64 characters with a checksum; typing slips are forgiven, typos are not', () => {
  const { secret, text } = newRecoveryKey(primitives);
  strictEqual(text.replace(/ /g, '').length, 64);
  deepStrictEqual(parseRecoveryKey(primitives, text), secret);
  deepStrictEqual(parseRecoveryKey(primitives, text.toLowerCase().replace(/ /g, '-')), secret);
  const compact = text.replace(/ /g, '');
  const typo = compact[10] === 'A' ? 'B' : 'A';
  throws(
    () => parseRecoveryKey(primitives, compact.slice(0, 10) + typo + compact.slice(11)),
    code('INVALID_INPUT'),
  );
  throws(() => parseRecoveryKey(primitives, compact.slice(1)), code('INVALID_INPUT'));
});

test('restored into a fresh store, the device keeps talking to contacts and groups without a key change', async () => {
  const alice = newClient(relay.base);
  const bob = newClient(relay.base);
  await alice.register('bkalice');
  await bob.register('bkbob');
  const first = await alice.send('bkbob', 'before the backup');
  await bob.receive();
  await bob.send('bkalice', 'got it');
  await alice.receive();
  const { groupId } = await alice.createGroup('Backed up', ['bkbob']);
  await bob.receive();
  const { archive, recoveryKey } = alice.createBackup();
  ok(!Buffer.from(archive).includes(Buffer.from('before the backup')), 'the archive is sealed');

  // Wrong key, damaged file, not a backup: refused, nothing written.
  const store = new MemoryBackend();
  const restored = newClient(relay.base, nodeFetch, store);
  const other = newRecoveryKey(primitives).text;
  await rejects(restored.restoreBackup(archive, other), code('BACKUP_WRONG_KEY'));
  const damaged = archive.slice();
  damaged[archive.length - 5] = (damaged[archive.length - 5] ?? 0) ^ 1;
  await rejects(restored.restoreBackup(damaged, recoveryKey), code('BACKUP_INVALID'));
  await rejects(restored.restoreBackup(utf8Encode('hello'), recoveryKey), code('BACKUP_INVALID'));
  for (const ns of [...BACKUP_NAMESPACES, 'session', 'outbox'])
    deepStrictEqual(store.list(ns), [], `nothing written to ${ns}`);

  const a = await restored.restoreBackup(archive, recoveryKey);
  strictEqual(a.accountId, alice.account?.accountId);
  deepStrictEqual(
    restored.history('bkbob').map((m) => m.text),
    ['before the backup', 'got it'],
  );
  strictEqual(restored.message(first.messageId)?.text, 'before the backup');
  strictEqual(restored.groups().find((g) => g.groupId === groupId)?.blocked?.code, 'RESTORED');
  await rejects(restored.restoreBackup(archive, recoveryKey), code('MISUSE'));

  // Bob keeps talking to the restored device: no key change anywhere.
  const atBob: ClientEvent[] = await bob.receive();
  await restored.send('bkbob', 'after the restore');
  atBob.push(...(await bob.receive()));
  deepStrictEqual(
    atBob.flatMap((e) => (e.type === 'message' ? [e.message.text] : [])),
    ['after the restore'],
  );
  ok(!atBob.some((e) => e.type === 'key-changed' || e.type === 'dropped'));
  strictEqual((await bob.safetyNumber('bkalice')).keyChanged, false);
  await bob.send('bkalice', 'welcome back');
  const atRestored = await restored.receive();
  deepStrictEqual(
    atRestored.flatMap((e) => (e.type === 'message' ? [e.message.text] : [])),
    ['welcome back'],
  );

  // The group: held after the restore, bob's device added it again (its receive served the
  // request), and messages flow.
  ok(
    atRestored.some((e) => e.type === 'group-change' && e.change === 'rejoined'),
    JSON.stringify(atRestored.map((e) => e.type)),
  );
  strictEqual(restored.groups().find((g) => g.groupId === groupId)?.blocked, undefined);
  await restored.sendToGroup(groupId, 'back in the group');
  deepStrictEqual(
    (await bob.receive()).flatMap((e) => (e.type === 'group-message' ? [e.message.text] : [])),
    ['back in the group'],
  );
});

test('the archive parser refuses any damage with a BACKUP_* error (fuzz)', async () => {
  const alice = newClient(relay.base);
  await alice.register('bkfuzz');
  const { archive, recoveryKey } = alice.createBackup();
  const secret = parseRecoveryKey(primitives, recoveryKey);
  ok(openBackup(primitives, secret, archive).records.size > 0);
  fc.assert(
    fc.property(fc.nat({ max: archive.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
      const bad = archive.slice();
      bad[i] = (bad[i] ?? 0) ^ x;
      throws(() => openBackup(primitives, secret, bad), backupError);
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      throws(() => openBackup(primitives, secret, bytes), backupError);
    }),
  );
  fc.assert(
    fc.property(fc.nat({ max: archive.length - 1 }), (n) => {
      throws(() => openBackup(primitives, secret, archive.subarray(0, n)), backupError);
    }),
    { numRuns: 100 },
  );
  // The decrypted contents' parser, on any JSON.
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      try {
        parseBackupRecords(utf8Encode(JSON.stringify(v)));
      } catch (e) {
        ok(code('BACKUP_INVALID')(e));
      }
    }),
  );
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.constantFrom(...BACKUP_NAMESPACES, 'session', 'x'),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      (records) => {
        throws(
          () => parseBackupRecords(utf8Encode(JSON.stringify({ v: 1, createdAt: 1, records }))),
          code('BACKUP_INVALID'),
        );
      },
    ),
  );
});
