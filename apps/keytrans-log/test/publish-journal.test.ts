// The bridge's durable queue: changes the relay committed while the log was down survive the
// bridge (the relay) stopping, a torn last journal line is ignored, and a new bridge on the same
// journal publishes them once; publishing them again changes nothing. Group commit: every change
// of one event-loop turn shares one fsync, and none is acknowledged before that fsync ran.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  KT_128_SHA256_ED25519,
  accountKeyLabel,
  createSuite,
  decodeAccountKeyValue,
  decodeUsernameValue,
  usernameLabel,
} from '@parley/keytrans';
import { createNodePrimitives } from '@parley/primitives-node';
import { createLogService } from '../src/log-service.js';
import { createLogBridge } from '../src/relay-bridge.js';
import { openPublishJournal } from '../src/publish-journal.js';
import { MemoryLogStorage } from '../src/storage.js';

const primitives = createNodePrimitives();

function logService() {
  const suite = createSuite(primitives);
  const keys = { signingKey: primitives.randomBytes(32), vrfKey: primitives.randomBytes(32) };
  return createLogService({
    storage: new MemoryLogStorage(),
    primitives,
    keys,
    config: {
      ciphersuite: KT_128_SHA256_ED25519,
      mode: 1,
      signaturePublicKey: primitives.ed25519.publicKey(keys.signingKey),
      vrfPublicKey: suite.vrfPublicKey(keys.vrfKey),
      leafPublicKey: new Uint8Array(),
      maxAhead: 60_000,
      maxBehind: 3_600_000,
      reasonableMonitoringWindow: 600_000,
    },
    period: 50,
    recentWindow: 3_600_000,
  });
}

test('changes queued while the log is down survive the bridge stopping and are published once', async () => {
  const journal = join(mkdtempSync(join(tmpdir(), 'parley-kt-journal-')), 'queue.jsonl');
  const identityKey = Uint8Array.of(5, ...primitives.randomBytes(32));
  // The log is down: the first bridge cannot publish, and stops (the relay was killed).
  const down = createLogBridge({
    baseUrl: 'http://127.0.0.1:1',
    primitives,
    warn: () => undefined,
    journal,
  });
  await down.publish({
    kind: 'registered',
    accountId: 'acct-1',
    username: 'durable',
    identityKey,
  });
  await new Promise((r) => setTimeout(r, 100));
  down.close();
  const lines = readFileSync(journal, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2, 'both labels are on disk before publish returns');
  // A crash in the middle of the next write leaves a torn line.
  appendFileSync(journal, '{"op":"add","label":"01');

  const log = logService();
  log.start();
  try {
    const base = await log.app.listen({ host: '127.0.0.1', port: 0 });
    const up = createLogBridge({ baseUrl: base, primitives, warn: () => undefined, journal });
    await up.idle();
    const name = usernameLabel('durable');
    const key = accountKeyLabel('acct-1');
    assert.equal(log.log.greatest(name), 0);
    assert.equal(log.log.greatest(key), 0);
    assert.equal(
      decodeUsernameValue(log.log.labelVersion(name, 0)?.value ?? new Uint8Array()),
      'acct-1',
    );
    assert.deepEqual(
      decodeAccountKeyValue(log.log.labelVersion(key, 0)?.value ?? new Uint8Array()).publicKey,
      identityKey,
    );
    assert.equal(readFileSync(journal, 'utf8'), '', 'nothing pending: the journal is empty');
    up.close();
    // A later bridge on the same journal has nothing to publish.
    const again = createLogBridge({ baseUrl: base, primitives, warn: () => undefined, journal });
    await again.idle();
    assert.equal(log.log.greatest(name), 0);
    again.close();
  } finally {
    await log.close();
  }
});

test('group commit: the changes of one turn share one fsync and resolve only after it; a failed fsync rejects them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-kt-journal-'));
  const events: string[] = [];
  let fail = false;
  const journal = openPublishJournal(join(dir, 'queue.jsonl'), {
    fdatasync() {
      events.push('fsync');
      if (fail) throw new Error('EIO');
    },
  });
  const value = (i: number) => ({
    label: Uint8Array.of(1, i),
    value: Uint8Array.of(2, i),
  });
  const acks = [0, 1, 2, 3, 4].map((i) =>
    journal.added([value(i)]).then(() => events.push(`ack ${i}`)),
  );
  // Written at once (a killed process loses nothing), acknowledged only after the fsync.
  assert.equal(readFileSync(join(dir, 'queue.jsonl'), 'utf8').trim().split('\n').length, 5);
  await new Promise((r) => setTimeout(r, 0));
  await Promise.resolve();
  assert.deepEqual(events.slice(0, 1), ['fsync']);
  await Promise.all(acks);
  assert.deepEqual(events, ['fsync', 'ack 0', 'ack 1', 'ack 2', 'ack 3', 'ack 4']);

  fail = true;
  await assert.rejects(journal.added([value(9)]), /EIO/);
  journal.close();
});
